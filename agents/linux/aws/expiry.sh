# shellcheck shell=bash
# AWS: the VM powers itself off at the sandbox's expiry; the stack sets
# InstanceInitiatedShutdownBehavior=terminate, so that ends it. An absolute, persistent systemd
# timer survives reboots and fires on the next boot if the moment passed while it was down.

dskit_schedule_expiry() {
  local unit=/etc/systemd/system/dskit-expiry at
  ((EXPIRES_AFTER_HOURS > 0)) || return 0
  if [[ ! -f $unit.timer ]]; then
    at=$(date -u -d "+$EXPIRES_AFTER_HOURS hours" '+%Y-%m-%d %H:%M:%S UTC')
    printf '[Unit]\nDescription=dskit sandbox expiry: power off (the instance then terminates)\n[Service]\nType=oneshot\nExecStart=/usr/bin/systemctl poweroff\n' >"$unit.service"
    printf '[Unit]\nDescription=dskit sandbox expiry at %s\n[Timer]\nOnCalendar=%s\nPersistent=true\n[Install]\nWantedBy=timers.target\n' "$at" "$at" >"$unit.timer"
  fi
  at=$(sed -n 's/^OnCalendar=//p' "$unit.timer")
  { systemctl daemon-reload && systemctl enable --now dskit-expiry.timer; } >/dev/null 2>&1 ||
    { echo "could not start systemd timer dskit-expiry.timer: the VM will not end itself at $at"; return 1; }
  log "expiry: the VM powers off and terminates at $at"
}
