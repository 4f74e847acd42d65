# shellcheck shell=bash
# The Agent Installer path (manager.type vision-one). Trend's tenant-specific package installs the
# agent with the Server & Workload Protection features and registers it with the Protection Manager
# it was downloaded for (agent-initiated activation); the manager's event-based task, which
# `dskit policy ensure` creates, gives the computer the sandbox's policy by its host name. Trend,
# "Deploy agents with Server & Workload Protection features": unpack the package, do not rename or
# move its files, run `./tmxbc install`.
#
# Settings: INSTALLER_OBJECT (its name in the stack's storage, where the cloud's installer.sh
# downloads it from with the VM's identity) and INSTALLER_SHA256 (checked before anything is unpacked).

# Where the installed Endpoint Basecamp keeps tmxbc: there, the package ran before.
BASECAMP_TMXBC=/opt/TrendMicro/EndpointBasecamp/bin/tmxbc
DSKIT_POLL_SECONDS=${DSKIT_POLL_SECONDS:-5}

# The one call with the VM's identity that dskit_identity_retry repeats: the package's download.
dskit_identity_once() {
  cloud_fetch_installer_once "$1"
}

# The agent reports the VM's host name to the manager: it becomes the display name first, so verify
# and teardown find the computer (<sandbox>-<cloud>-<vm>-<n>), and stays so across reboots
# (cloud-init's update_hostname would restore the cloud's name without preserve_hostname).
set_host_name() {
  local was
  was=$(cat /proc/sys/kernel/hostname)
  if [[ $was != "$DISPLAY_NAME" ]]; then
    hostnamectl set-hostname "$DISPLAY_NAME" >/dev/null 2>&1 ||
      { printf '%s\n' "$DISPLAY_NAME" >/etc/hostname && printf '%s' "$DISPLAY_NAME" >/proc/sys/kernel/hostname; } ||
      fail "could not set the host name to $DISPLAY_NAME: the manager would not know the computer by it"
  fi
  grep -qs "[[:space:]]$DISPLAY_NAME\$" /etc/hosts || printf '127.0.1.1 %s\n' "$DISPLAY_NAME" >>/etc/hosts
  [[ -d /etc/cloud/cloud.cfg.d ]] && printf 'preserve_hostname: true\n' >/etc/cloud/cloud.cfg.d/99-dskit-hostname.cfg
  log "host name $DISPLAY_NAME (was $was)"
}

# Downloads the package with the VM's identity (retried), checks its SHA-256, unpacks it into a
# folder of its own and finds tmxbc there (TMXBC); fails with the reason.
fetch_installer() {
  local file="$DSKIT_WORK_DIR/$INSTALLER_OBJECT" dir="$DSKIT_WORK_DIR/agent-installer" out got
  out=$(dskit_identity_retry 'downloading the Agent Installer package' "$file") ||
    fail "could not download the Agent Installer package $INSTALLER_OBJECT: $out"
  got=$(sha256sum "$file" | cut -d ' ' -f 1)
  [[ $got == "$INSTALLER_SHA256" ]] ||
    fail "the downloaded Agent Installer package has SHA-256 $got, not the $INSTALLER_SHA256 it was deployed with; refusing to unpack it"
  log "Agent Installer package downloaded ($(wc -c <"$file") bytes), SHA-256 $got as deployed"
  rm -rf "$dir" && mkdir -p "$dir"
  out=$(tar -xf "$file" -C "$dir" --no-same-owner 2>&1) || fail "the Agent Installer package does not unpack: ${out##*$'\n'}"
  TMXBC=$(find "$dir" -maxdepth 2 -name tmxbc -type f | head -n 1)
  [[ -n $TMXBC ]] || fail "the Agent Installer package holds no tmxbc: is it the Linux package for Server & Workload Protection?"
}

# Trend: run `./tmxbc install` where the package was unpacked, never past the run's deadline. Its
# output goes to the log. The proxy, if any, in the usual variables.
run_installer() {
  local out rc left
  left=$(time_left)
  ((left > 0)) || { BUDGET_SPENT=1 && fail "no time was left to run the Agent Installer$(budget_note)"; }
  chmod 700 "$TMXBC"
  log "running the Agent Installer: tmxbc install"
  out=$(cd "$(dirname "$TMXBC")" && { [[ -z $PROXY ]] || export https_proxy=$PROXY HTTPS_PROXY=$PROXY; } && timeout "$left" ./tmxbc install 2>&1)
  rc=$?
  printf '%s\n' "$out" >>"$LOG_FILE"
  ((rc == 0)) || fail "the Agent Installer (tmxbc install) failed with exit $rc: $(tail -n 1 <<<"$out")"
}

# The installer leaves the agent to install and register itself: poll until it holds the manager's
# certificate (is_activated), never past the run's deadline.
wait_activated() {
  local started=$SECONDS
  until is_activated; do
    if (($(time_left) <= DSKIT_POLL_SECONDS)); then
      BUDGET_SPENT=1
      fail "the Agent Installer ran, but no activated agent after $((SECONDS - started))s$(budget_note): see Endpoint Inventory, and Server & Workload Protection > Administration > System Settings > Agents (agent-initiated activation allowed, agents may specify their host name)"
    fi
    sleep "$DSKIT_POLL_SECONDS"
  done
  log "activated after $((SECONDS - started))s: $(agent_status | grep -m1 '^AgentStatus\.dsmUrl:' || true)"
}

dskit_main() {
  mkdir -p "$DSKIT_WORK_DIR" "$(dirname "$LOG_FILE")"
  chmod 700 "$DSKIT_WORK_DIR"
  log "boot script started (cloud $CLOUD, Agent Installer)"
  if is_activated; then
    log "the agent is already activated; leaving it alone (no new installation)"
    finish "activated (already)"
  fi
  detect_platform
  set_host_name
  if [[ -x $BASECAMP_TMXBC ]]; then
    log "the Agent Installer ran before ($BASECAMP_TMXBC): waiting for its agent, not installing again"
  else
    fetch_installer
    run_installer
  fi
  wait_activated
  finish activated
}
