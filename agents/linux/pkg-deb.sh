# shellcheck shell=bash
# Package files on a .deb system (Debian, Ubuntu): dpkg, waiting out the package locks that first
# boot often holds (apt-get waits the same way: aws/distro-deb.sh). pkg-rpm.sh is the same for .rpm
# systems; a script has one.

PKG=deb

# What dpkg and apt-get print when another package operation holds their locks.
package_lock_held() {
  [[ $1 == *"locked by another process"* || $1 == *"Could not get lock"* || $1 == *"Unable to acquire the dpkg frontend lock"* ]]
}

# Runs a dpkg or apt-get command (non-interactively), and prints its output. At first boot
# cloud-init, apt-daily or unattended-upgrades often hold the dpkg and apt locks, and dpkg and
# apt-get give up at once when they are taken (dnf and rpm wait for theirs): while the lock is
# held, try again every 5 s, for up to DSKIT_DPKG_LOCK_TIMEOUT and never past the run's deadline.
# Used by the agent install and by the event-shipping installs alike; on failure the last line
# printed says what failed.
with_package_lock() {
  local deadline=$((SECONDS + DSKIT_DPKG_LOCK_TIMEOUT)) started=$SECONDS out
  ((deadline > DSKIT_DEADLINE)) && deadline=$DSKIT_DEADLINE
  until out=$(DEBIAN_FRONTEND=noninteractive "$@" 2>&1); do
    if ! package_lock_held "$out"; then
      printf '%s' "$out"
      return 1
    fi
    if ((SECONDS + 5 > deadline)); then
      printf '%s\n%s: the package lock was still held by another process after %ss' "$out" "$1" $((SECONDS - started))
      return 1
    fi
    log "$1 is busy (another package operation holds its lock); waiting"
    sleep 5
  done
  printf '%s' "$out"
}

# Installs a package file, printing dpkg's output (on failure its last line says why).
pkg_install_file() {
  with_package_lock dpkg -i "$1"
}
