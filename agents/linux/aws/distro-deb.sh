# shellcheck shell=bash
# AWS, on a .deb system (Debian, Ubuntu: apt-get, under the package-lock wait of pkg-deb.sh): what event shipping (events.sh)
# installs from the distribution (rsyslog, where the image lacks it).

# Installs packages from the distribution; output to the log, and on failure prints the command
# that failed and its last line (an outcome's warning).
pkg_install() {
  local out step='apt-get update'
  if out=$(with_package_lock apt-get update -qq) && step="apt-get install $*" &&
    out=$(with_package_lock apt-get install -y -qq --no-install-recommends "$@"); then
    printf '%s\n' "$out" >>"$LOG_FILE"
    return 0
  fi
  printf '%s\n' "$out" >>"$LOG_FILE"
  printf '%s failed: %s\n' "$step" "$(tail -n 1 <<<"$out")"
  return 1
}
