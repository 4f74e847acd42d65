#!/bin/bash
# shellcheck shell=bash
# Deep Security agent install and activation, shared by every cloud (SPEC §4).
#
# dskit renders the boot script as: settings, then the cloud's small pieces, then this file.
# The cloud pieces define:
#   cloud_fetch_token_once  one try at the activation token (read with the VM's identity): print it
#                           on stdout, or print why not and return 1, or 2 when the identity is
#                           not (yet) allowed to read it; dskit_fetch_token retries it
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
PLATFORM='' ARCH='' PKG=''

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

# Between two attempts of a retry loop: sleeps the backoff and returns 0, or returns 1 when there is
# no next attempt, because that was the last one or because the run's deadline would pass during the
# backoff (then BUDGET_SPENT=1, and budget_note says so in the failure reason).
next_attempt() {
  local wait
  (($1 < DSKIT_ATTEMPTS)) || return 1
  wait=$(backoff_seconds "$1")
  if (($(time_left) <= wait)); then
    BUDGET_SPENT=1
    return 1
  fi
  sleep "$wait"
}

budget_note() {
  ((${BUDGET_SPENT:-0})) && printf ' (the boot script\x27s %ss budget ran out)' "$DSKIT_BUDGET_SECONDS"
}

# The activation token, with retries; on failure prints the last reason instead. A permission
# error (cloud_fetch_token_once returns 2) is retried until DSKIT_DEADLINE: IAM grants made by the
# same deploy usually take effect within 2 minutes and can take 7 or more. Anything else is retried
# DSKIT_ATTEMPTS times. Backoff doubles up to DSKIT_BACKOFF_CAP; one log line per try.
dskit_fetch_token() {
  local attempt=0 failures=0 since=$SECONDS out rc pause left
  while :; do
    attempt=$((attempt + 1))
    out=$(cloud_fetch_token_once)
    rc=$?
    if ((rc == 0)); then
      printf '%s' "$out"
      return 0
    fi
    ((rc == 2)) || failures=$((failures + 1))
    if ((rc != 2 && failures >= DSKIT_ATTEMPTS)); then
      log "reading the activation token, attempt $attempt: $out; giving up after $failures such failures"
      printf '%s' "$out"
      return 1
    fi
    left=$(time_left)
    if ((left == 0)); then
      log "reading the activation token, attempt $attempt: $out; giving up: the run's budget is spent"
      ((rc == 2)) && out+="; still refused after $((SECONDS - since))s of retries (IAM grants can take 7 minutes or more; if the grant exists, raise $CLOUD.activationTimeoutMinutes)"
      printf '%s' "$out"
      return 1
    fi
    pause=$(backoff_seconds $((attempt < 16 ? attempt : 16)))
    ((pause > left)) && pause=$left
    log "reading the activation token, attempt $attempt: $out; retrying in ${pause}s (${left}s of the run's budget left)"
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

detect_platform() {
  local id='' version_id='' machine
  # shellcheck disable=SC1091
  read -r id version_id < <(. /etc/os-release && echo "${ID:-} ${VERSION_ID:-}")
  case "$id:$version_id" in
    amzn:2023*) PLATFORM=amzn2023 PKG=rpm ;;
    ubuntu:22.04) PLATFORM=Ubuntu_22.04 PKG=deb ;;
    ubuntu:24.04) PLATFORM=Ubuntu_24.04 PKG=deb ;;
    debian:12*) PLATFORM=Debian_12 PKG=deb ;;
    rhel:9* | rocky:9* | almalinux:9*) PLATFORM=RedHat_EL9 PKG=rpm ;;
    *) fail "unsupported OS ${id:-?} ${version_id:-?}: dskit supports Amazon Linux 2023, Ubuntu 22.04/24.04, Debian 12, RHEL 9" ;;
  esac
  machine=$(uname -m)
  case "$machine" in
    x86_64 | amd64) ARCH=x86_64 ;;
    aarch64 | arm64) ARCH=aarch64 ;;
    *) fail "unsupported CPU architecture $machine: the agent ships for x86_64 and aarch64" ;;
  esac
  log "platform $PLATFORM/$ARCH (package .$PKG)"
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

# The agent needs a few seconds after install (or boot) before it answers: poll, never sleep blindly.
wait_agent_ready() {
  local wait=$DSKIT_READY_TIMEOUT started=$SECONDS deadline
  (($(time_left) < wait)) && wait=$(time_left)
  deadline=$((SECONDS + wait))
  until [[ $(agent_status) == *"AgentStatus.agentState:"* ]]; do
    ((SECONDS >= deadline)) && fail "the agent did not answer dsa_query within ${wait}s (is the ds_agent service running? systemctl status ds_agent)"
    sleep 0.5
  done
  log "agent ready after $((SECONDS - started))s"
}

download_package() {
  local url="$MANAGER_URL/software/agent/$PLATFORM/$ARCH/agent.$PKG" attempt code rc=0 limit
  ((TENANT_NUMERIC_ID > 0)) && url+="?tenantID=$TENANT_NUMERIC_ID"
  PACKAGE_FILE="$DSKIT_WORK_DIR/agent.$PKG"
  for ((attempt = 1; ; attempt++)); do
    rm -f "$PACKAGE_FILE"
    # No attempt may outlast the run's deadline (curl's last --max-time wins).
    limit=$(time_left)
    ((limit > 600)) && limit=600
    ((limit > 0)) || { BUDGET_SPENT=1 && break; }
    code=$(curl_tls -H 'Agent-Version-Control: on' -o "$PACKAGE_FILE" -w '%{http_code}' --max-time "$limit" "$url") && rc=0 || rc=$?
    if ((rc == 0)) && [[ $code == 200 ]]; then
      log "downloaded $url ($(wc -c <"$PACKAGE_FILE") bytes, attempt $attempt)"
      return 0
    fi
    log "download attempt $attempt/$DSKIT_ATTEMPTS of $url failed: curl exit $rc, HTTP ${code:-none}"
    if [[ $code == 404 ]]; then
      fail "the manager has no agent package for $PLATFORM/$ARCH (HTTP 404): import it under Administration > Updates > Software"
    fi
    next_attempt "$attempt" || break
  done
  fail "could not download the agent package from $MANAGER_URL after $attempt attempts$(budget_note) (last: curl exit $rc, HTTP ${code:-none}); check the manager URL, proxy and outbound HTTPS"
}

# A member of an ar archive (the .deb container) by name, without binutils.
ar_members() {
  local file=$1 size total off=8 name
  total=$(wc -c <"$file")
  [[ $(head -c 8 "$file") == '!<arch>' ]] || return 1
  while ((off + 60 <= total)); do
    name=$(ar_extract "$file" "$off" 16 | tr -d ' ')
    size=$(ar_extract "$file" $((off + 48)) 10 | tr -d ' ')
    [[ $size =~ ^[0-9]+$ ]] || return 1
    ((off + 60 + size <= total)) || return 1
    printf '%s %s %s\n' "${name%/}" "$((off + 60))" "$size"
    off=$((off + 60 + size + size % 2))
  done
  ((off == total))
}

ar_extract() {
  dd if="$1" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
}

# Refuse what is not a complete package of the expected type, signed or not.
check_package_shape() {
  local file=$PACKAGE_FILE magic
  [[ -s $file ]] || fail "the downloaded agent package is empty; the manager may not have the package imported"
  magic=$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')
  if [[ $PKG == deb ]]; then
    [[ $magic == 213c6172 ]] || fail "the downloaded agent package is not a .deb (starts with 0x$magic); refusing to install it"
    ar_members "$file" >/dev/null || fail "the downloaded .deb is truncated or malformed; refusing to install it"
    dpkg-deb --fsys-tarfile "$file" >/dev/null 2>&1 || fail "the downloaded .deb does not unpack (truncated or corrupt); refusing to install it"
  else
    [[ $magic == edabeedb ]] || fail "the downloaded agent package is not an .rpm (starts with 0x$magic); refusing to install it"
    rpmkeys --checksig --nosignature "$file" >/dev/null 2>&1 || fail "the downloaded .rpm fails its digest check (truncated or corrupt); refusing to install it"
  fi
}

write_signing_key() {
  [[ -n ${SIGNING_KEY_ARMORED:-} ]] || fail "manager.verifyPackageSignature is on but no agent signing key was rendered into this script; see docs/agent.md"
  printf '%s\n' "$SIGNING_KEY_ARMORED" >"$DSKIT_WORK_DIR/agent-signing-key.asc"
}

# dpkg-sig is not packaged in Debian 12: check its signature the way it does, with gpgv and
# coreutils. The _gpgbuilder member is a clearsigned list of every member's md5, sha1 and size.
verify_deb_signature() {
  local file=$PACKAGE_FILE sig="$DSKIT_WORK_DIR/_gpgbuilder" keyring="$DSKIT_WORK_DIR/agent-signing-key.gpg"
  local name off size members listed=0 status fpr md5 sha1 lsize lname
  write_signing_key
  sed -e '/^-----/d' -e '/^[A-Za-z-]*: /d' -e '/^=/d' -e '/^$/d' "$DSKIT_WORK_DIR/agent-signing-key.asc" | base64 -d >"$keyring" 2>/dev/null ||
    fail "the rendered agent signing key is not a valid armored OpenPGP key"
  members=$(ar_members "$file") || fail "the downloaded .deb is malformed; refusing to install it"
  read -r name off size < <(grep '^_gpgbuilder ' <<<"$members") || true
  [[ ${name:-} == _gpgbuilder ]] || fail "the .deb carries no dpkg-sig signature (_gpgbuilder); refusing to install it"
  ar_extract "$file" "$off" "$size" >"$sig"
  status=$(gpgv --status-fd 1 --keyring "$keyring" "$sig" 2>/dev/null) ||
    fail "the .deb's dpkg-sig signature does not verify against the agent signing key; refusing to install it"
  fpr=$(sed -n 's/^\[GNUPG:\] VALIDSIG \([0-9A-F]*\) .*/\1/p' <<<"$status" | head -n 1)
  while read -r md5 sha1 lsize lname; do
    [[ -n ${lname:-} ]] || continue
    read -r name off size < <(grep "^$lname " <<<"$members") || fail "signed member $lname is missing from the .deb"
    [[ $size == "$lsize" ]] || fail "member $lname has $size bytes, the signature says $lsize; refusing to install it"
    [[ $(ar_extract "$file" "$off" "$size" | sha1sum | cut -d' ' -f1) == "$sha1" ]] || fail "member $lname does not match its signed sha1; refusing to install it"
    [[ $(ar_extract "$file" "$off" "$size" | md5sum | cut -d' ' -f1) == "$md5" ]] || fail "member $lname does not match its signed md5; refusing to install it"
    listed=$((listed + 1))
  done < <(sed -n '/^Files: *$/,/^-----BEGIN PGP SIGNATURE/p' "$sig" | grep -E '^[[:space:]]+[0-9a-f]{32} [0-9a-f]{40} [0-9]+ ')
  (($(grep -vc '^_gpg' <<<"$members") == listed)) || fail "the .deb has members its signature does not cover; refusing to install it"
  log "signature verified: dpkg-sig builder signature of agent.deb ($listed members, md5+sha1+size) checked with gpgv against key ${fpr:-?}"
}

# Checked in a keyring of its own holding only the rendered key: the system rpmdb also trusts the
# distribution's keys. rpm prints "digests signatures OK" for a good signature, "digests OK" (exit 0!)
# for an unsigned package and "SIGNATURES NOT OK" for an unknown key; -v names the key id.
verify_rpm_signature() {
  local db="$DSKIT_WORK_DIR/rpmdb" key="$DSKIT_WORK_DIR/agent-signing-key.asc" out detail
  write_signing_key
  rm -rf "$db" && mkdir -p "$db"
  rpmkeys --dbpath "$db" --import "$key" >/dev/null 2>&1 || fail "the rendered agent signing key is not a valid armored OpenPGP key (rpmkeys --import refused it)"
  out=$(rpmkeys --dbpath "$db" --checksig "$PACKAGE_FILE" 2>&1) || true
  [[ $out == *": digests OK" ]] && fail "the .rpm is not signed (rpmkeys: digests OK, no signature); refusing to install it"
  if [[ $out != *" signatures OK"* ]]; then
    fail "the .rpm's signature does not verify against the agent signing key (rpmkeys: ${out##*: }); refusing to install it"
  fi
  detail=$(rpmkeys --dbpath "$db" --checksig -v "$PACKAGE_FILE" 2>&1 | grep -m1 'Signature, key ID' | tr -s ' ' | sed 's/^ //')
  log "signature verified: rpmkeys --checksig of agent.rpm against the rendered agent signing key only: ${detail:-signatures OK}"
  # The system rpmdb gets the key too, so rpm -i below does not warn about an unknown key.
  rpmkeys --import "$key" >/dev/null 2>&1 || warn "could not import the agent signing key into the system rpmdb"
}

install_package() {
  local out
  check_package_shape
  if [[ $VERIFY_SIGNATURE == 1 ]]; then
    if [[ $PKG == deb ]]; then verify_deb_signature; else verify_rpm_signature; fi
  else
    log "WARNING: package signature not verified (manager.verifyPackageSignature is off)"
  fi
  if [[ $PKG == deb ]]; then
    out=$(dpkg_install "$PACKAGE_FILE")
  else
    # rpm waits for its own transaction lock.
    out=$(rpm -ihv --replacepkgs "$PACKAGE_FILE" 2>&1)
  fi || fail "installing the agent package failed: $(tail -n 1 <<<"$out")"
  log "agent package installed"
}

dpkg_install() {
  with_package_lock dpkg -i "$1"
}

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

# Retry a dsa_control call until it prints "HTTP Status: 200", at most DSKIT_ATTEMPTS times and
# never past the run's deadline. Not in a subshell: it leaves its last output in DSA_OUTPUT and
# the attempts made in DSA_ATTEMPTS (and BUDGET_SPENT) for the failure reason.
dsa_control_retry() {
  local what=$1
  shift
  for ((DSA_ATTEMPTS = 1; ; DSA_ATTEMPTS++)); do
    if DSA_OUTPUT=$("$AGENT_DIR/dsa_control" "$@" 2>&1) && [[ $DSA_OUTPUT == *"HTTP Status: 200"* || $what == reset ]]; then
      return 0
    fi
    log "dsa_control $what attempt $DSA_ATTEMPTS/$DSKIT_ATTEMPTS did not succeed: $(redact "$(tail -n 1 <<<"$DSA_OUTPUT")")"
    next_attempt "$DSA_ATTEMPTS" || return 1
  done
}

activate() {
  local args out
  # Reset first: -r clears the agent's configuration, proxies included (Trend's scripts reset, then
  # set the proxies, then activate).
  dsa_control_retry reset -r || fail "dsa_control -r did not succeed$(budget_note)"
  if [[ -n $PROXY ]]; then
    "$AGENT_DIR/dsa_control" -x "dsm_proxy://${PROXY#*://}" >/dev/null 2>&1 || warn "could not set the agent's manager proxy"
    # Updates come from relays (Trend Micro's own for Workload Security): same proxy.
    "$AGENT_DIR/dsa_control" -y "relay_proxy://${PROXY#*://}" >/dev/null 2>&1 || warn "could not set the agent's relay proxy"
  fi
  args=(-a "$ACTIVATION_URL")
  [[ -n $TENANT_ID ]] && args+=("tenantID:$TENANT_ID")
  args+=("token:$TOKEN" "policyid:$POLICY_ID")
  ((GROUP_ID > 0)) && args+=("groupid:$GROUP_ID")
  ((RELAY_GROUP_ID > 0)) && args+=("relaygroupid:$RELAY_GROUP_ID")
  args+=("displayname:$DISPLAY_NAME")
  log "activating against $ACTIVATION_URL as $DISPLAY_NAME with policy $POLICY_ID"
  dsa_control_retry activation "${args[@]}" ||
    fail "activation was refused after $DSA_ATTEMPTS attempts$(budget_note): $(redact "$(tail -n 1 <<<"$DSA_OUTPUT")")"
  is_activated || fail "dsa_control -a reported success but the agent still holds the bootstrap certificate"
  log "activated: $(agent_status | grep -m1 '^AgentStatus\.dsmUrl:' || true)"
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

dskit_main() {
  mkdir -p "$DSKIT_WORK_DIR" "$(dirname "$LOG_FILE")"
  chmod 700 "$DSKIT_WORK_DIR"
  log "boot script started (cloud $CLOUD)"
  if [[ -x $AGENT_DIR/dsa_control ]]; then
    wait_agent_ready
    if is_activated; then
      log "the agent is already activated; leaving it alone (no reset, no new activation)"
      finish "activated (already)"
    fi
  fi
  # On failure the fetch prints its reason instead of a token.
  if ! TOKEN=$(dskit_fetch_token); then
    fail "could not read the activation token from secret $TOKEN_SECRET_NAME: $TOKEN"
  fi
  # A secret written with `echo` or from a Windows file carries a line ending; a token has no spaces.
  TOKEN=${TOKEN//[$' \t\r\n']/}
  [[ $TOKEN =~ ^[A-Za-z0-9-]{8,128}$ ]] || fail "secret $TOKEN_SECRET_NAME does not hold an activation token (expected letters, digits and dashes)"
  log "activation token read from secret $TOKEN_SECRET_NAME"
  if [[ ! -x $AGENT_DIR/dsa_control ]]; then
    detect_platform
    download_package
    install_package
    wait_agent_ready
  fi
  activate
  finish activated
}
