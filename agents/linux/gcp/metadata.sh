# shellcheck shell=bash
# GCP: the metadata server, and the VM's service account's access token from it.

METADATA_URL=http://metadata.google.internal/computeMetadata/v1

# Prints the service account's OAuth access token; on failure prints why not and returns 1.
gcp_access_token() {
  local sa
  sa=$(curl_metadata -H 'Metadata-Flavor: Google' "$METADATA_URL/instance/service-accounts/default/token") ||
    { echo "the metadata server gave no service account token (does the VM have a service account?)"; return 1; }
  json_field "$sa" access_token || { echo "the metadata server's token answer is unreadable"; return 1; }
}
