#!/bin/bash
# shellcheck shell=bash
# Deep Security agent install and activation, shared by every cloud and install path (SPEC §4).
#
# dskit renders a boot script from the pieces a VM needs (lib/agent/sources.ts): settings, this
# file, the install path (classic.sh: download from the manager and dsa_control -a, with deb.sh or
# rpm.sh for the package family; vision-one.sh: Trend's Agent Installer package), then the cloud's
# pieces. They define:
#   dskit_main              the install path's steps, called last
#   dskit_identity_once     the install path's one call with the VM's identity, which
#                           dskit_identity_retry repeats: a cloud's cloud_fetch_token_once (classic:
#                           print the activation token, or print why not and return 1, or 2 when the
#                           identity is not (yet) allowed to read it) or cloud_fetch_installer_once
#                           (vision-one: download the installer package into $1, the same codes)
#   cloud_report_outcome_once  one try at reporting STATUS (SUCCESS|FAILURE) and a short, already
#                           redacted reason; dskit_report_outcome retries it
#   dskit_setup_events      local syslog receiver + shipping; on failure print what failed, return 1
#   dskit_schedule_expiry   optional: make the VM end itself at the sandbox's expiry
#   dskit_setup_admin_access  optional: an admin path the image lacks; on failure print what failed
#   dskit_install_exercise_watcher  optional: what runs `dskit exercise`'s triggers on request
#
# The token lives only in a local, never exported variable and in the argument list of
# `dsa_control -a` (whose interface requires it there). `set -x` must never be used here.

set -uo pipefail
umask 077
export LC_ALL=C PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

LOG_FILE=/var/log/dskit-agent.log
AGENT_DIR=/opt/ds_agent
BOOTSTRAP_CERT_HASH='D0:68:DE:48:1B:DC:4D:00:89:07:7F:85:15:20:C5:90:11:EB:56:6A'
# Tunables (none secret): a slow network may want more patience; tests want less.
DSKIT_ATTEMPTS=${DSKIT_ATTEMPTS:-8}
DSKIT_BACKOFF_CAP=${DSKIT_BACKOFF_CAP:-30}
DSKIT_READY_TIMEOUT=${DSKIT_READY_TIMEOUT:-180}
DSKIT_DPKG_LOCK_TIMEOUT=${DSKIT_DPKG_LOCK_TIMEOUT:-600}
DSKIT_WORK_DIR=${DSKIT_WORK_DIR:-/var/lib/dskit}
# The whole run's budget (rendered from the cloud's activation timeout, less a margin for the
# outcome report): every retry loop stops at DSKIT_DEADLINE, so the VM reports FAILURE with its
# own reason before the cloud's wait times out.
DSKIT_BUDGET_SECONDS=${DSKIT_BUDGET_SECONDS:-1080}
DSKIT_DEADLINE=$((SECONDS + DSKIT_BUDGET_SECONDS))
WARNINGS=()
ARCH=''

log() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) dskit[$DISPLAY_NAME]: $*"
  printf '%s\n' "$line" >>"$LOG_FILE"
  printf '%s\n' "$line" >&2
}

warn() {
  WARNINGS+=("$1")
  log "WARNING: $1"
}

# Ends the run: the outcome is reported once, here or at the end of dskit_main.
fail() {
  log "FAILED: $1"
  dskit_report_outcome FAILURE "$1" || log "could not report the outcome"
  exit 1
}

# Defence in depth: nothing the agent prints back may carry the token into a log.
redact() {
  local s=$1
  [[ -n ${TOKEN:-} ]] && s=${s//"$TOKEN"/<token>}
  printf '%s' "$s"
}

# The string value of a top-level-looking "key": "value" member of a JSON text, decoded (every
# JSON escape, \uXXXX and surrogate pairs to UTF-8). A key only counts after { or , so a value
# that merely contains "key":"..." (its quotes escaped) is never taken for it.
json_field() {
  local pattern='(^|[{,])[[:space:]]*"'"$2"'"[[:space:]]*:[[:space:]]*"(([^"\]|\\.)*)"'
  [[ $1 =~ $pattern ]] || return 1
  json_unescape "${BASH_REMATCH[2]}"
}

json_unescape() {
  local s=$1 out='' c cp i=0
  while ((i < ${#s})); do
    c=${s:i:1} i=$((i + 1))
    if [[ $c == "\\" ]]; then
      c=${s:i:1} i=$((i + 1))
      case $c in
        b) c=$'\b' ;; f) c=$'\f' ;; n) c=$'\n' ;; r) c=$'\r' ;; t) c=$'\t' ;;
        u)
          [[ ${s:i:4} =~ ^[0-9A-Fa-f]{4}$ ]] || return 1
          cp=$((16#${s:i:4})) i=$((i + 4))
          # A surrogate pair is one code point.
          if ((cp >> 10 == 0x36)) && [[ ${s:i:6} =~ ^\\u[dD][c-fC-F][0-9A-Fa-f]{2}$ ]]; then
            cp=$((0x10000 + ((cp & 0x3FF) << 10) + (16#${s:i+2:4} & 0x3FF))) i=$((i + 6))
          fi
          utf8_of "$cp"
          c=$UTF8_CHAR
          ;;
      esac
    fi
    out+=$c
  done
  printf '%s' "$out"
}

# UTF8_CHAR = the UTF-8 bytes of a code point (LC_ALL=C: printf \u would not encode them). A
# variable, not stdout: $(...) would drop a decoded newline. NUL cannot be in a shell string.
utf8_of() {
  local cp=$1 n=0 f='' lead=0
  UTF8_CHAR=''
  ((cp == 0)) && return 0
  ((cp < 0x80)) || { n=1 lead=0xC0; }
  ((cp < 0x800)) || { n=2 lead=0xE0; }
  ((cp < 0x10000)) || { n=3 lead=0xF0; }
  printf -v f '\\x%02x' $((lead | cp >> 6 * n))
  for ((n--; n >= 0; n--)); do printf -v f '%s\\x%02x' "$f" $((0x80 | (cp >> 6 * n & 0x3F))); done
  # shellcheck disable=SC2059 # the format is the \xHH escapes built above
  printf -v UTF8_CHAR "$f"
}

# Seconds left of the run's budget (0 once spent).
time_left() {
  local left=$((DSKIT_DEADLINE - SECONDS))
  ((left > 0)) || left=0
  echo "$left"
}

backoff_seconds() {
  local s=$((1 << ($1 - 1)))
  ((s > DSKIT_BACKOFF_CAP)) && s=$DSKIT_BACKOFF_CAP
  echo "$s"
}

budget_note() {
  ((${BUDGET_SPENT:-0})) && printf ' (the boot script\x27s %ss budget ran out)' "$DSKIT_BUDGET_SECONDS"
}

# Retries the install path's one call made with the VM's identity, dskit_identity_once (given the
# arguments after $1; it prints its result, or prints why not and returns 1, or 2 when the identity
# is not (yet) allowed). Prints the result, or the last reason and returns 1. A permission error is retried until DSKIT_DEADLINE: IAM grants made by the same deploy usually
# take effect within 2 minutes and can take 7 or more. Anything else is retried DSKIT_ATTEMPTS
# times. Backoff doubles up to DSKIT_BACKOFF_CAP; one log line per try, naming what ($1).
dskit_identity_retry() {
  local what=$1 attempt=0 failures=0 since=$SECONDS out rc pause left
  shift
  while :; do
    attempt=$((attempt + 1))
    out=$(dskit_identity_once "$@")
    rc=$?
    if ((rc == 0)); then
      printf '%s' "$out"
      return 0
    fi
    ((rc == 2)) || failures=$((failures + 1))
    if ((rc != 2 && failures >= DSKIT_ATTEMPTS)); then
      log "$what, attempt $attempt: $out; giving up after $failures such failures"
      printf '%s' "$out"
      return 1
    fi
    left=$(time_left)
    if ((left == 0)); then
      log "$what, attempt $attempt: $out; giving up: the run's budget is spent"
      ((rc == 2)) && out+="; still refused after $((SECONDS - since))s of retries (IAM grants can take 7 minutes or more; if the grant exists, raise $CLOUD.activationTimeoutMinutes)"
      printf '%s' "$out"
      return 1
    fi
    pause=$(backoff_seconds $((attempt < 16 ? attempt : 16)))
    ((pause > left)) && pause=$left
    log "$what, attempt $attempt: $out; retrying in ${pause}s (${left}s of the run's budget left)"
    sleep "$pause"
  done
}

# The outcome, with bounded retries: the deploy waits on it.
dskit_report_outcome() {
  local attempt reason
  reason=$(redact "$2")
  for ((attempt = 1; attempt <= 5; attempt++)); do
    cloud_report_outcome_once "$1" "$reason" && return 0
    ((attempt < 5)) && sleep "$(backoff_seconds "$attempt")"
  done
  return 1
}

# Curl options for the manager and cloud APIs: TLS 1.2 or later, https only, bounded time.
curl_tls() {
  local proxy=()
  [[ -n $PROXY ]] && proxy=(--proxy "$PROXY")
  curl --silent --show-error --location --proto '=https' --tlsv1.2 --connect-timeout 10 --max-time 600 "${proxy[@]}" "$@"
}

# Link-local metadata servers: plain http, never through the proxy.
curl_metadata() {
  curl --silent --show-error --fail --noproxy '*' --connect-timeout 2 --max-time 10 "$@"
}

# The script is made for one OS (PLATFORM, the manager's name for it, e.g. Debian_12; PKG, its
# package kind) and, for the Agent Installer, one architecture (EXPECTED_ARCH; empty: any).
# detect_platform checks what the VM really runs (/etc/os-release against OS_RELEASE_MATCH, a glob
# of ID:VERSION_ID) and sets ARCH the way the manager names it; anything else fails here, naming
# both, before anything is downloaded or installed.
detect_platform() {
  local id='' version_id='' machine
  # shellcheck disable=SC1091
  read -r id version_id < <(. /etc/os-release && echo "${ID:-} ${VERSION_ID:-}")
  machine=$(uname -m)
  case "$machine" in
    x86_64 | amd64) ARCH=x86_64 ;;
    aarch64 | arm64) ARCH=aarch64 ;;
    *) ARCH=$machine ;;
  esac
  # shellcheck disable=SC2053 # OS_RELEASE_MATCH is a glob
  [[ $id:$version_id == $OS_RELEASE_MATCH && $ARCH == "${EXPECTED_ARCH:-$ARCH}" && $ARCH == @(x86_64|aarch64) ]] ||
    fail "this boot script was made for $PLATFORM/${EXPECTED_ARCH:-x86_64 or aarch64} but the VM runs ${id:-?} ${version_id:-?} on $machine: its image does not match the VM's os and arch in sandbox.yaml"
  log "platform $PLATFORM/$ARCH${PKG:+ (package .$PKG)}"
}

agent_status() {
  [[ -x $AGENT_DIR/dsa_query ]] || return 1
  "$AGENT_DIR/dsa_query" -c GetAgentStatus 2>/dev/null
}

# Activated means the agent holds a certificate from the manager, not the bootstrap one.
is_activated() {
  local status hash
  status=$(agent_status) || return 1
  hash=$(sed -n 's/^AgentStatus\.agentCertHash: *//p' <<<"$status" | head -n 1)
  [[ -n $hash && $hash != "$BOOTSTRAP_CERT_HASH" ]]
}

finish() {
  local reason=$1 w out
  if ! out=$(dskit_setup_events 2>&1); then
    warn "event shipping: ${out##*$'\n'}"
  fi
  if declare -F dskit_schedule_expiry >/dev/null; then
    out=$(dskit_schedule_expiry 2>&1) || warn "expiry: ${out##*$'\n'}"
  fi
  # Optional: an admin path the image lacks (AWS: the SSM agent for Session Manager).
  if declare -F dskit_setup_admin_access >/dev/null; then
    out=$(dskit_setup_admin_access 2>&1) || warn "admin access: ${out##*$'\n'}"
  fi
  if declare -F dskit_install_exercise_watcher >/dev/null; then
    out=$(dskit_install_exercise_watcher 2>&1) || warn "exercise watcher: ${out##*$'\n'}"
  fi
  for w in "${WARNINGS[@]}"; do reason+="; warning: $w"; done
  log "SUCCESS: $reason"
  dskit_report_outcome SUCCESS "$reason" || log "could not report the outcome"
  exit 0
}

