# shellcheck shell=bash
# GCP: guest attribute dskit/status ("activated..." or "failed: <reason>"), which the stack's
# check and `gcloud compute instances get-guest-attributes` read.

cloud_report_outcome_once() {
  local value=$2
  [[ $1 == SUCCESS ]] || value="failed: $value"
  printf '%s' "${value:0:900}" |
    curl_metadata -X PUT -H 'Metadata-Flavor: Google' --data-binary @- "$METADATA_URL/instance/guest-attributes/dskit/status" >/dev/null || return 1
  log "outcome written to guest attribute dskit/status"
}
