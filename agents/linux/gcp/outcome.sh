# shellcheck shell=bash
# GCP: guest attribute dskit/status ("activated..." or "failed: <reason>"), which the stack's
# check and `gcloud compute instances get-guest-attributes` read.

dskit_report_outcome() {
  local value attempt
  value=$(redact "$2")
  [[ $1 == SUCCESS ]] || value="failed: $value"
  for ((attempt = 1; attempt <= 5; attempt++)); do
    if printf '%s' "${value:0:900}" |
      curl_metadata -X PUT -H 'Metadata-Flavor: Google' --data-binary @- "$METADATA_URL/instance/guest-attributes/dskit/status" >/dev/null; then
      log "outcome written to guest attribute dskit/status"
      return 0
    fi
    sleep "$(backoff_seconds "$attempt")"
  done
  return 1
}
