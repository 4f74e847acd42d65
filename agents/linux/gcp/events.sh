# shellcheck shell=bash
# GCP: the Ops Agent's syslog receiver takes the agent's CEF syslog on 127.0.0.1:<port>/udp and
# sends it to Cloud Logging; the receiver's id is the log name.

OPS_AGENT_CONFIG=${OPS_AGENT_CONFIG:-/etc/google-cloud-ops-agent/config.yaml}

dskit_setup_events() {
  local installer="$DSKIT_WORK_DIR/add-google-cloud-ops-agent-repo.sh"
  if [[ ! -d /opt/google-cloud-ops-agent ]]; then
    curl_tls --fail -o "$installer" https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh ||
      { echo "could not download the Google Ops Agent installer from dl.google.com"; return 1; }
    https_proxy=$PROXY http_proxy=$PROXY bash "$installer" --also-install >>"$LOG_FILE" 2>&1 ||
      { echo "the Google Ops Agent install failed (see $LOG_FILE)"; return 1; }
  fi
  mkdir -p "$(dirname "$OPS_AGENT_CONFIG")"
  cat >"$OPS_AGENT_CONFIG" <<CONF
logging:
  receivers:
    $LOG_NAME:
      type: syslog
      transport_protocol: udp
      listen_host: 127.0.0.1
      listen_port: $SYSLOG_PORT
  service:
    pipelines:
      dskit_ds_events:
        receivers: [$LOG_NAME]
CONF
  systemctl restart google-cloud-ops-agent || { echo "google-cloud-ops-agent did not restart with the syslog receiver"; return 1; }
  log "events: Ops Agent syslog 127.0.0.1:$SYSLOG_PORT/udp -> Cloud Logging log $LOG_NAME"
}
