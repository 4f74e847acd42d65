# shellcheck shell=bash
# `dskit exercise`: the benign test event of each protection module, as Trend's docs describe
# them (lib/exercise/catalogue.ts and docs/exercise.md cite each). AWS sends this file through
# Run Command; on GCP the boot script puts it into the exercise watcher.
#
# dskit_exercise_run RUN MODULES runs the triggers named in MODULES (comma-separated) and prints
# one line each: `dskit-exercise <module> <ok|failed> <unix seconds> <detail>`. "ok" means the
# trigger did its part (the file was written, the request went out); whether the agent saw it is
# what the sink tells. Nothing here is secret; nothing leaves the VM but the two HTTP requests,
# the firewall probe to the link-local metadata address, and a login on 127.0.0.1.

DSKIT_EXERCISE_DIR=/var/tmp/dskit-exercise
# The EICAR test file, base64: the 68 bytes themselves would make scanners quarantine this script.
DSKIT_EXERCISE_EICAR_B64='WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo='
DSKIT_EXERCISE_WRS_URL='http://wrs21.winshipway.com/'
DSKIT_EXERCISE_IPS_URL='http://files.trendmicro.com/products/eicar-file/eicar.com'
DSKIT_EXERCISE_FW_ADDRESS=169.254.169.254
DSKIT_EXERCISE_FW_PORT=9

# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_say() {
  local detail=${3//$'\n'/ }
  printf 'dskit-exercise %s %s %s %s\n' "$1" "$2" "$(date +%s)" "${detail:0:400}"
}

# curl's view of one HTTP GET, body discarded. A request that never left the VM (no DNS, no proxy)
# fails the trigger; anything else (an answer, a reset, a timeout) means the agent had its chance.
# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_http() {
  local module=$1 url=$2 code rc proxy=()
  [[ -n ${PROXY:-} ]] && proxy=(--proxy "$PROXY")
  code=$(curl --silent --output /dev/null --max-time 20 --write-out '%{http_code}' "${proxy[@]}" "$url" 2>/dev/null) && rc=0 || rc=$?
  case $rc in
    0) dskit_exercise_say "$module" ok "GET $url: HTTP $code" ;;
    5 | 6) dskit_exercise_say "$module" failed "GET $url: could not resolve the host (curl exit $rc); the VM needs DNS and outbound HTTP for this test" ;;
    *) dskit_exercise_say "$module" ok "GET $url: no complete answer (curl exit $rc${code:+, HTTP $code}), as when the agent blocks or resets it" ;;
  esac
}

# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_am() {
  local dir="$DSKIT_EXERCISE_DIR/$1" file
  file="$dir/eicar.com"
  if mkdir -p "$dir" && printf '%s' "$DSKIT_EXERCISE_EICAR_B64" | base64 -d >"$file" 2>/dev/null; then
    dskit_exercise_say am ok "wrote the EICAR test file $file ($(wc -c <"$file" 2>/dev/null || echo 0) bytes)"
  else
    dskit_exercise_say am failed "could not write the EICAR test file $file"
  fi
}

# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_wrs() {
  dskit_exercise_http wrs "$DSKIT_EXERCISE_WRS_URL"
}

# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_ips() {
  dskit_exercise_http ips "$DSKIT_EXERCISE_IPS_URL"
}

# Append a line to /etc/hosts, give real-time monitoring a moment, then put the old content back
# (same file, so its owner and mode stay).
# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_im() {
  local hosts=/etc/hosts saved
  saved=$(mktemp) || { dskit_exercise_say im failed "mktemp failed"; return; }
  if ! cp "$hosts" "$saved" 2>/dev/null; then
    rm -f "$saved"
    dskit_exercise_say im failed "cannot read $hosts"
    return
  fi
  if ! printf '# dskit exercise %s: integrity monitoring test, removed again\n' "$1" >>"$hosts" 2>/dev/null; then
    rm -f "$saved"
    dskit_exercise_say im failed "cannot write $hosts"
    return
  fi
  sleep 2
  cat "$saved" >"$hosts"
  rm -f "$saved"
  dskit_exercise_say im ok "changed $hosts (one comment line added, then removed)"
}

# A login attempt as an account that does not exist: sshd logs "Invalid user", which the Unix -
# Syslog rule reads from the system log. BatchMode: no password is ever asked for or sent.
# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_li() {
  local user="dskit-nouser-$1" out rc logs=''
  command -v ssh >/dev/null || { dskit_exercise_say li failed "no ssh client on this VM (openssh-client); the Log Inspection test logs in through sshd"; return; }
  if ! timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null; then
    dskit_exercise_say li failed "nothing listens on 127.0.0.1:22 (sshd is not running); the Log Inspection test logs in through sshd"
    return
  fi
  out=$(ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR \
    -p 22 "$user@127.0.0.1" true 2>&1) && rc=0 || rc=$?
  [[ -e /var/log/auth.log || -e /var/log/secure ]] ||
    logs='; warning: no /var/log/auth.log or /var/log/secure here, and Log Inspection reads those files (a journald-only image needs rsyslog)'
  if ((rc == 255)) && [[ $out == *"Permission denied"* || $out == *"closed by"* || $out == *"Connection reset"* ]]; then
    dskit_exercise_say li ok "ssh $user@127.0.0.1 was refused, as expected$logs"
  elif ((rc == 0)); then
    dskit_exercise_say li failed "ssh $user@127.0.0.1 logged in: an account of that name exists"
  else
    dskit_exercise_say li ok "ssh $user@127.0.0.1 failed (exit $rc: $(tail -n 1 <<<"$out"))$logs"
  fi
}

# An outgoing TCP connection the sandbox policy's Deny rule drops. Without the rule the metadata
# server refuses it; either way nothing leaves the cloud host.
# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_fw() {
  local started=$SECONDS
  if timeout 5 bash -c "exec 3<>/dev/tcp/$DSKIT_EXERCISE_FW_ADDRESS/$DSKIT_EXERCISE_FW_PORT" 2>/dev/null; then
    dskit_exercise_say fw ok "TCP $DSKIT_EXERCISE_FW_ADDRESS:$DSKIT_EXERCISE_FW_PORT connected (nothing denied it)"
  elif ((SECONDS - started >= 5)); then
    dskit_exercise_say fw ok "TCP $DSKIT_EXERCISE_FW_ADDRESS:$DSKIT_EXERCISE_FW_PORT: no answer in 5 s (dropped, as a Deny rule does)"
  else
    dskit_exercise_say fw ok "TCP $DSKIT_EXERCISE_FW_ADDRESS:$DSKIT_EXERCISE_FW_PORT: refused or reset"
  fi
}

# shellcheck disable=SC2317 # run through Run Command or the exercise watcher, not by the boot script
dskit_exercise_run() {
  local run=$1 modules=$2 module
  [[ $run =~ ^[a-z0-9][a-z0-9-]{0,63}$ ]] || { echo "dskit exercise: bad run id" >&2; return 2; }
  for module in ${modules//,/ }; do
    case $module in
      am | wrs | ips | im | li | fw) "dskit_exercise_$module" "$run" ;;
      *) echo "dskit exercise: unknown module $module" >&2 ;;
    esac
  done
}
