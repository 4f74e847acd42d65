# shellcheck shell=bash
# AWS: the agent's CEF syslog (UDP 127.0.0.1:<port>) lands in a file through rsyslog, and the
# CloudWatch agent ships that file to the sandbox's log group.

EVENTS_FILE=/var/log/dskit/ds-events.log
CWAGENT_DIR=/opt/aws/amazon-cloudwatch-agent

# The user rsyslog drops its privileges to, if any (Ubuntu: $PrivDropToUser syslog).
rsyslog_user() {
  sed -n -e 's/^[[:space:]]*[$]PrivDropToUser[[:space:]]\{1,\}\([^[:space:]#]*\).*/\1/p' \
    -e 's/.*privDropToUser="\([^"]*\)".*/\1/p' "$@" 2>/dev/null | tail -n 1
}

# The boot script's umask 077 would make a directory only root can enter, and an rsyslog that
# runs as another user could then never create the events file: nothing would be shipped.
prepare_events_dir() {
  local dir=$1 user=$2
  install -d -m 0755 "$dir" || return 1
  [[ -z $user ]] || chown "$user" "$dir"
}

# Downloads a package file (of the VM's kind, $PKG) and installs it (pkg-deb.sh, pkg-rpm.sh); on
# failure prints what failed. The SSM agent (admin.sh) comes the same way.
install_downloaded_package() {
  local file="$DSKIT_WORK_DIR/${1##*/}" out
  out=$(curl_tls --fail -o "$file" "$1" 2>&1) || { echo "downloading $1 failed: ${out##*$'\n'}"; return 1; }
  out=$(pkg_install_file "$file") || { printf '%s\n' "$out" >>"$LOG_FILE" && echo "installing ${file##*/} failed: ${out##*$'\n'}"; return 1; }
  printf '%s\n' "$out" >>"$LOG_FILE"
}

# On failure prints what failed.
install_cloudwatch_agent() {
  local arch=amd64 base=https://amazoncloudwatch-agent.s3.amazonaws.com
  [[ -x $CWAGENT_DIR/bin/amazon-cloudwatch-agent-ctl ]] && return 0
  [[ $(uname -m) == aarch64 ]] && arch=arm64
  # Amazon Linux has it in its repository.
  [[ $PKG == rpm ]] && dnf install -y -q amazon-cloudwatch-agent >>"$LOG_FILE" 2>&1 && return 0
  install_downloaded_package "$base/$([[ $PKG == deb ]] && echo debian || echo redhat)/$arch/latest/amazon-cloudwatch-agent.$PKG"
}

dskit_setup_events() {
  local out
  if ! command -v rsyslogd >/dev/null; then
    out=$(pkg_install rsyslog) || { echo "rsyslog is missing and could not be installed: $out"; return 1; }
  fi
  prepare_events_dir "$(dirname "$EVENTS_FILE")" "$(rsyslog_user /etc/rsyslog.conf /etc/rsyslog.d/*.conf)" ||
    { echo "could not prepare $(dirname "$EVENTS_FILE") for rsyslog"; return 1; }
  cat >/etc/rsyslog.d/10-dskit-ds-events.conf <<CONF
module(load="imudp")
template(name="dskitRaw" type="string" string="%rawmsg%\n")
ruleset(name="dskitDsEvents") {
  action(type="omfile" file="$EVENTS_FILE" template="dskitRaw")
  stop
}
input(type="imudp" address="127.0.0.1" port="$SYSLOG_PORT" ruleset="dskitDsEvents")
CONF
  systemctl enable rsyslog >/dev/null 2>&1
  systemctl restart rsyslog || { echo "rsyslog did not restart with the receiver on 127.0.0.1:$SYSLOG_PORT/udp"; return 1; }
  out=$(install_cloudwatch_agent) || { echo "the CloudWatch agent could not be installed: $out"; return 1; }
  cat >"$CWAGENT_DIR/etc/dskit-ds-events.json" <<CONF
{"agent": {"run_as_user": "root"}, "logs": {"logs_collected": {"files": {"collect_list": [
  {"file_path": "$EVENTS_FILE", "log_group_name": "$LOG_GROUP_NAME", "log_stream_name": "$DISPLAY_NAME"}
]}}}}
CONF
  "$CWAGENT_DIR/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s -c "file:$CWAGENT_DIR/etc/dskit-ds-events.json" >>"$LOG_FILE" 2>&1 ||
    { echo "the CloudWatch agent did not start with the events config"; return 1; }
  log "events: rsyslog 127.0.0.1:$SYSLOG_PORT/udp -> $EVENTS_FILE -> CloudWatch Logs $LOG_GROUP_NAME"
}
