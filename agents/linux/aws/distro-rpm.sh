# shellcheck shell=bash
# AWS, on an .rpm system (Amazon Linux, RHEL: dnf): what event shipping (events.sh)
# installs from the distribution (rsyslog, where the image lacks it).

# Installs packages from the distribution; output to the log, and on failure prints the command
# that failed and its last line (an outcome's warning).
pkg_install() {
  local out
  out=$(dnf install -y -q "$@" 2>&1)
  local rc=$?
  printf '%s\n' "$out" >>"$LOG_FILE"
  ((rc == 0)) || printf 'dnf install %s failed: %s\n' "$*" "$(tail -n 1 <<<"$out")"
  return "$rc"
}
