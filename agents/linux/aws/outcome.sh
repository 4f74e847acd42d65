# shellcheck shell=bash
# AWS: signal the stack's wait condition, so the deploy fails with this VM's reason.

json_escape() {
  local s=$1
  s=${s//\\/\\\\} s=${s//\"/\\\"} s=${s//$'\n'/ } s=${s//$'\t'/ } s=${s//$'\r'/ }
  printf '%s' "$s"
}

cloud_report_outcome_once() {
  local reason
  reason=$(json_escape "$2")
  # An empty Content-Type: the pre-signed S3 URL was signed without one.
  printf '{"Status":"%s","Reason":"%s","UniqueId":"%s","Data":"%s"}' "$1" "${reason:0:900}" "$DISPLAY_NAME" "$1" |
    curl_tls --fail -X PUT -H 'Content-Type:' --data-binary @- "$WAIT_HANDLE_URL" >/dev/null || return 1
  log "outcome $1 signalled to the stack's wait condition"
}
