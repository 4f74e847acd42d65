# shellcheck shell=bash
# GCP: the activation token from Secret Manager, read with the VM's service account. The access
# token reaches curl as a config on stdin (-K -), and the payload is decoded from a pipe.

METADATA_URL=http://metadata.google.internal/computeMetadata/v1

cloud_fetch_token_once() {
  local sa access body data
  sa=$(curl_metadata -H 'Metadata-Flavor: Google' "$METADATA_URL/instance/service-accounts/default/token") ||
    { echo "the metadata server gave no service account token (does the VM have a service account?)"; return 1; }
  access=$(json_field "$sa" access_token) || { echo "the metadata server's token answer is unreadable"; return 1; }
  body=$(printf 'header = "Authorization: Bearer %s"\n' "$access" |
    curl_tls -K - --fail "https://secretmanager.googleapis.com/v1/projects/$GCP_PROJECT/secrets/$TOKEN_SECRET_NAME/versions/latest:access" 2>&1) ||
    { echo "Secret Manager access failed: ${body##*$'\n'}"; return 1; }
  data=$(json_field "$body" data) || { echo "secret $TOKEN_SECRET_NAME has no payload"; return 1; }
  printf '%s' "$data" | base64 -d 2>/dev/null || { echo "secret $TOKEN_SECRET_NAME payload is not base64"; return 1; }
}
