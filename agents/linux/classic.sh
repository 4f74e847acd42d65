# shellcheck shell=bash
# The classic install path (manager.type workload-security or dsm): download the agent package
# from the manager, check it (deb.sh or rpm.sh: the VM's package family), install it, and activate
# with dsa_control -a and the activation token read with the VM's identity.

# The one call with the VM's identity that dskit_identity_retry repeats.
dskit_identity_once() {
  cloud_fetch_token_once
}

# The activation token, with retries; on failure prints the last reason instead.
dskit_fetch_token() {
  dskit_identity_retry 'reading the activation token'
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

# The package family's pieces define check_package_shape and verify_package_signature (deb.sh,
# rpm.sh) and pkg_install_file (pkg-deb.sh, pkg-rpm.sh).
write_signing_key() {
  [[ -n ${SIGNING_KEY_ARMORED:-} ]] || fail "manager.verifyPackageSignature is on but no agent signing key was rendered into this script; see docs/agent.md"
  printf '%s\n' "$SIGNING_KEY_ARMORED" >"$DSKIT_WORK_DIR/agent-signing-key.asc"
}

install_package() {
  local out
  check_package_shape
  if [[ $VERIFY_SIGNATURE == 1 ]]; then
    verify_package_signature
  else
    log "WARNING: package signature not verified (manager.verifyPackageSignature is off)"
  fi
  out=$(pkg_install_file "$PACKAGE_FILE") || fail "installing the agent package failed: $(tail -n 1 <<<"$out")"
  log "agent package installed"
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
