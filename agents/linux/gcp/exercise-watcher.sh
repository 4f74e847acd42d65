# shellcheck shell=bash
# GCP: how `dskit exercise` reaches a VM without new ingress. A small service waits on the metadata
# server (wait_for_change, the documented long poll) for instance metadata key dskit-exercise set to
# "run=<id> modules=<k,...>", runs exactly those triggers of agents/linux/exercise-triggers.sh and
# nothing else, and answers in guest attributes: dskit-exercise/<module> = "<run> <ok|failed>
# <unix seconds> <detail>", dskit-exercise/watcher = "<run> started|done <unix seconds> ...".
# Each run id is handled once, also across restarts.

DSKIT_EXERCISE_WATCHER=/usr/local/lib/dskit/exercise-watcher
DSKIT_EXERCISE_UNIT=/etc/systemd/system/dskit-exercise-watcher.service
DSKIT_EXERCISE_LAST_RUN=/var/lib/dskit/exercise-last-run

# shellcheck disable=SC2317 # run by the exercise watcher, not by the boot script
dskit_exercise_answer() {
  printf '%s' "${2:0:900}" |
    curl --silent --fail --noproxy '*' --connect-timeout 2 --max-time 10 -X PUT -H 'Metadata-Flavor: Google' --data-binary @- \
      "$METADATA_URL/instance/guest-attributes/dskit-exercise/$1" >/dev/null
}

# One request value: refused unless it is exactly "run=<id> modules=<known,...>" of a new run.
# shellcheck disable=SC2317 # run by the exercise watcher, not by the boot script
dskit_exercise_handle() {
  local value=$1 run modules line
  [[ -n $value ]] || return 0
  if [[ ! $value =~ ^run=([a-z0-9][a-z0-9-]{0,63})\ modules=((am|wrs|ips|im|li|fw)(,(am|wrs|ips|im|li|fw)){0,5})$ ]]; then
    echo "dskit exercise watcher: ignoring dskit-exercise=${value:0:80} (expected run=<id> modules=<am,wrs,ips,im,li,fw>)" >&2
    return 0
  fi
  run=${BASH_REMATCH[1]}
  modules=${BASH_REMATCH[2]}
  [[ -f $DSKIT_EXERCISE_LAST_RUN && $(<"$DSKIT_EXERCISE_LAST_RUN") == "$run" ]] && return 0
  mkdir -p "$(dirname "$DSKIT_EXERCISE_LAST_RUN")" && printf '%s\n' "$run" >"$DSKIT_EXERCISE_LAST_RUN" ||
    echo "dskit exercise watcher: cannot record run $run in $DSKIT_EXERCISE_LAST_RUN; a restart would run it again" >&2
  echo "dskit exercise watcher: run $run, modules $modules" >&2
  dskit_exercise_answer watcher "$run started $(date +%s) modules $modules" || echo "dskit exercise watcher: cannot write guest attributes" >&2
  while IFS= read -r line; do
    [[ $line =~ ^dskit-exercise\ (am|wrs|ips|im|li|fw)\ (.*)$ ]] && dskit_exercise_answer "${BASH_REMATCH[1]}" "$run ${BASH_REMATCH[2]}"
  done < <(dskit_exercise_run "$run" "$modules")
  dskit_exercise_answer watcher "$run done $(date +%s)"
}

# The watcher's loop: long-polls every instance attribute (the key may not exist yet, and a
# missing key answers 404 at once), remembering the ETag so each change wakes it exactly once.
# shellcheck disable=SC2317 # run by the exercise watcher, not by the boot script
dskit_exercise_watch() {
  local etag=NONE headers body code
  headers=$(mktemp)
  while true; do
    if ! body=$(curl --silent --noproxy '*' --connect-timeout 2 --max-time 330 -H 'Metadata-Flavor: Google' -D "$headers" \
      "$METADATA_URL/instance/attributes/?recursive=true&wait_for_change=true&timeout_sec=300&last_etag=$etag"); then
      etag=NONE
      sleep 5
      continue
    fi
    code=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$headers")
    if [[ $code != 200 ]]; then
      etag=NONE
      sleep 5
      continue
    fi
    etag=$(tr -d '\r' <"$headers" | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' | tail -n 1)
    [[ $etag =~ ^[A-Za-z0-9]+$ ]] || etag=NONE
    if [[ $body =~ \"dskit-exercise\"[[:space:]]*:[[:space:]]*\"([^\"\\]*)\" ]]; then
      dskit_exercise_handle "${BASH_REMATCH[1]}"
    fi
  done
}

# Called by the boot script's finish: writes the watcher (the functions above, the triggers and
# the few settings they read) as a script of its own and runs it as a systemd service.
dskit_install_exercise_watcher() {
  local functions variables
  mkdir -p "$(dirname "$DSKIT_EXERCISE_WATCHER")" || { echo "cannot create $(dirname "$DSKIT_EXERCISE_WATCHER")"; return 1; }
  functions=$(compgen -A function dskit_exercise_ | tr '\n' ' ')
  variables=$(compgen -v DSKIT_EXERCISE_ | tr '\n' ' ')
  {
    echo '#!/bin/bash'
    echo '# dskit exercise watcher, written by the dskit boot script (agents/linux/gcp/exercise-watcher.sh)'
    echo 'set -uo pipefail'
    echo 'export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    # shellcheck disable=SC2086 # word splitting of the name lists is meant
    declare -p METADATA_URL PROXY $variables
    # shellcheck disable=SC2086
    declare -f $functions
    echo 'dskit_exercise_watch'
  } >"$DSKIT_EXERCISE_WATCHER.new" || { echo "cannot write $DSKIT_EXERCISE_WATCHER"; return 1; }
  chmod 700 "$DSKIT_EXERCISE_WATCHER.new" && mv -f "$DSKIT_EXERCISE_WATCHER.new" "$DSKIT_EXERCISE_WATCHER" || return 1
  cat >"$DSKIT_EXERCISE_UNIT" <<UNIT
[Unit]
Description=dskit exercise watcher: runs dskit exercise's test triggers when instance metadata asks
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=$DSKIT_EXERCISE_WATCHER
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
  if ! { systemctl daemon-reload && systemctl enable dskit-exercise-watcher.service >/dev/null 2>&1 && systemctl restart dskit-exercise-watcher.service; }; then
    echo "the dskit-exercise-watcher service did not start"
    return 1
  fi
  log "exercise watcher: waiting on instance metadata key dskit-exercise (answers in guest attributes dskit-exercise/*)"
}
