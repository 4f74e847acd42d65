# shellcheck shell=bash
# GCP: the Agent Installer package from its Cloud Storage object (lib/gcp/installer-packages.ts),
# read with the VM's service account (metadata.sh): the JSON API's media download, the access token
# on stdin (-K -).

# One try at downloading the package into $1; prints why not and returns 1, or 2 while the service
# account may not read it yet (HTTP 403: a grant the same deploy made, still propagating).
cloud_fetch_installer_once() {
  local access code answer message limit
  access=$(gcp_access_token) || { echo "$access"; return 1; }
  limit=$(time_left)
  ((limit > 600)) && limit=600
  rm -f "$1"
  code=$(printf 'header = "Authorization: Bearer %s"\n' "$access" |
    curl_tls -K - -o "$1" -w '%{http_code}' --max-time "$((limit > 0 ? limit : 1))" "https://storage.googleapis.com/storage/v1/b/$INSTALLER_BUCKET/o/$INSTALLER_OBJECT?alt=media" 2>&1) ||
    { echo "Cloud Storage did not answer: ${code##*$'\n'}"; return 1; }
  [[ $code == 200 ]] && return 0
  answer=$(head -c 1000 "$1" 2>/dev/null)
  rm -f "$1"
  message=$(json_field "$answer" message) || message=''
  echo "Cloud Storage gave HTTP $code for gs://$INSTALLER_BUCKET/$INSTALLER_OBJECT to the VM's service account${message:+: $message}"
  [[ $code == 403 ]] && return 2
  return 1
}
