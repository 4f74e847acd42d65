#!/bin/bash
# shellcheck shell=bash
# Deep Security agent install and activation, shared by every cloud (SPEC §4).
#
# dskit renders the boot script as: settings, then the cloud's small pieces, then this file.
# The cloud pieces define:
#   cloud_fetch_token_once  one try at the activation token (read with the VM's identity): print it
#                           on stdout, or print why not and return 1; dskit_fetch_token retries it
#   cloud_report_outcome_once  one try at reporting STATUS (SUCCESS|FAILURE) and a short, already
#                           redacted reason; dskit_report_outcome retries it
#   dskit_setup_events      local syslog receiver + shipping; on failure print what failed, return 1
#   dskit_schedule_expiry   optional: make the VM end itself at the sandbox's expiry
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

json_field() {
  [[ $1 =~ \"$2\"[[:space:]]*:[[:space:]]*\"([^\"]*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"
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

# The activation token, with bounded retries; on failure prints the last reason instead.
dskit_fetch_token() {
  local attempt out
  for ((attempt = 1; attempt <= DSKIT_ATTEMPTS; attempt++)); do
    if out=$(cloud_fetch_token_once); then
      printf '%s' "$out"
      return 0
    fi
    log "reading the activation token, attempt $attempt/$DSKIT_ATTEMPTS: $out"
    ((attempt < DSKIT_ATTEMPTS)) && sleep "$(backoff_seconds "$attempt")"
  done
  printf '%s' "$out"
  return 1
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
  local url="$MANAGER_URL/software/agent/$PLATFORM/$ARCH/agent.$PKG" attempt code rc=0
  ((TENANT_NUMERIC_ID > 0)) && url+="?tenantID=$TENANT_NUMERIC_ID"
  PACKAGE_FILE="$DSKIT_WORK_DIR/agent.$PKG"
  for ((attempt = 1; attempt <= DSKIT_ATTEMPTS; attempt++)); do
    rm -f "$PACKAGE_FILE"
    code=$(curl_tls -H 'Agent-Version-Control: on' -o "$PACKAGE_FILE" -w '%{http_code}' "$url") && rc=0 || rc=$?
    if ((rc == 0)) && [[ $code == 200 ]]; then
      log "downloaded $url ($(wc -c <"$PACKAGE_FILE") bytes, attempt $attempt)"
      return 0
    fi
    log "download attempt $attempt/$DSKIT_ATTEMPTS of $url failed: curl exit $rc, HTTP ${code:-none}"
    if [[ $code == 404 ]]; then
      fail "the manager has no agent package for $PLATFORM/$ARCH (HTTP 404): import it under Administration > Updates > Software"
    fi
    ((attempt < DSKIT_ATTEMPTS)) && sleep "$(backoff_seconds "$attempt")"
  done
  fail "could not download the agent package from $MANAGER_URL after $DSKIT_ATTEMPTS attempts (last: curl exit $rc, HTTP ${code:-none}); check the manager URL, proxy and outbound HTTPS"
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

# At first boot apt-daily, unattended-upgrades or the guest agent often hold the dpkg lock, and
# dpkg -i gives up at once when it is taken: wait for it, boundedly.
dpkg_install() {
  local deadline=$((SECONDS + DSKIT_DPKG_LOCK_TIMEOUT)) out
  until out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$1" 2>&1); do
    if [[ $out != *"locked by another process"* ]] || ((SECONDS >= deadline)); then
      printf '%s' "$out"
      return 1
    fi
    log "dpkg is busy (another package operation holds its lock); waiting"
    sleep 5
  done
  printf '%s' "$out"
}

# Retry a dsa_control call until it prints "HTTP Status: 200"; prints its last output.
dsa_control_retry() {
  local what=$1 attempt out=''
  shift
  for ((attempt = 1; attempt <= DSKIT_ATTEMPTS; attempt++)); do
    if out=$("$AGENT_DIR/dsa_control" "$@" 2>&1) && [[ $out == *"HTTP Status: 200"* || $what == reset ]]; then
      printf '%s' "$out"
      return 0
    fi
    log "dsa_control $what attempt $attempt/$DSKIT_ATTEMPTS did not succeed: $(redact "$(tail -n 1 <<<"$out")")"
    ((attempt < DSKIT_ATTEMPTS)) && sleep "$(backoff_seconds "$attempt")"
  done
  printf '%s' "$out"
  return 1
}

activate() {
  local args out
  if [[ -n $PROXY ]]; then
    "$AGENT_DIR/dsa_control" -x "dsm_proxy://${PROXY#*://}" >/dev/null 2>&1 || warn "could not set the agent's manager proxy"
    # Updates come from relays (Trend Micro's own for Workload Security): same proxy.
    "$AGENT_DIR/dsa_control" -y "relay_proxy://${PROXY#*://}" >/dev/null 2>&1 || warn "could not set the agent's relay proxy"
  fi
  dsa_control_retry reset -r >/dev/null || fail "dsa_control -r did not succeed"
  args=(-a "$ACTIVATION_URL")
  [[ -n $TENANT_ID ]] && args+=("tenantID:$TENANT_ID")
  args+=("token:$TOKEN" "policyid:$POLICY_ID")
  ((GROUP_ID > 0)) && args+=("groupid:$GROUP_ID")
  ((RELAY_GROUP_ID > 0)) && args+=("relaygroupid:$RELAY_GROUP_ID")
  args+=("displayname:$DISPLAY_NAME")
  log "activating against $ACTIVATION_URL as $DISPLAY_NAME with policy $POLICY_ID"
  out=$(dsa_control_retry activation "${args[@]}") ||
    fail "activation was refused after $DSKIT_ATTEMPTS attempts: $(redact "$(tail -n 1 <<<"$out")")"
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
