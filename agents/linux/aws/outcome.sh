# shellcheck shell=bash
# AWS: signal the stack's wait condition, so the deploy fails with this VM's reason.

# Longest reason sent, in bytes before JSON encoding: a cut after encoding could split an escape
# (\" or \\) and leave the signal unparseable, and CloudFormation then never sees the reason.
OUTCOME_REASON_BYTES=900

# A JSON string body: \ and " escaped, every other control character a space.
json_escape() {
  local s=$1
  s=${s//\\/\\\\} s=${s//\"/\\\"} s=${s//[$'\001'-$'\037']/ }
  printf '%s' "$s"
}

# The first MAX bytes of a string, never ending inside a UTF-8 character (LC_ALL=C: bytes): drop
# the last character's bytes when its lead byte announces more than the cut left.
cut_utf8() {
  local s=${1:0:$2} i b
  for ((i = ${#s} - 1; i >= 0 && i >= ${#s} - 4; i--)); do
    printf -v b '%d' "'${s:i:1}"
    ((b >= 0xC0)) && { (((b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2) > ${#s} - i)) && s=${s:0:i}; break; }
    ((b < 0x80)) && break
  done
  printf '%s' "$s"
}

cloud_report_outcome_once() {
  local reason
  reason=$(json_escape "$(cut_utf8 "$2" "$OUTCOME_REASON_BYTES")")
  # An empty Content-Type: the pre-signed S3 URL was signed without one.
  printf '{"Status":"%s","Reason":"%s","UniqueId":"%s","Data":"%s"}' "$1" "$reason" "$DISPLAY_NAME" "$1" |
    curl_tls --fail -X PUT -H 'Content-Type:' --data-binary @- "$WAIT_HANDLE_URL" >/dev/null || return 1
  log "outcome $1 signalled to the stack's wait condition"
}
