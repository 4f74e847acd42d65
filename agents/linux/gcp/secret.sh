# shellcheck shell=bash
# GCP: the activation token from Secret Manager, read with the VM's service account (metadata.sh).
# The access token reaches curl as a config on stdin (-K -), and the payload is decoded from a pipe.
# HTTP 403 returns 2: the deploy granted the service account access moments ago, and IAM takes
# minutes to apply it (Secret Manager also answers 403 for a secret the caller may not see).

cloud_fetch_token_once() {
  local access answer code body data message
  access=$(gcp_access_token) || { echo "$access"; return 1; }
  answer=$(printf 'header = "Authorization: Bearer %s"\n' "$access" |
    curl_tls -K - -w '\n%{http_code}' "https://secretmanager.googleapis.com/v1/projects/$GCP_PROJECT/secrets/$TOKEN_SECRET_NAME/versions/latest:access" 2>&1) ||
    { echo "Secret Manager did not answer: $(grep -m1 '^curl:' <<<"$answer" || echo "${answer##*$'\n'}")"; return 1; }
  code=${answer##*$'\n'} body=${answer%$'\n'*}
  message=$(json_field "$body" message) || message=''
  case $code in
    200) ;;
    403)
      echo "Secret Manager refused secret $TOKEN_SECRET_NAME to the VM's service account (HTTP 403${message:+: $message})"
      return 2
      ;;
    *)
      echo "Secret Manager answered HTTP $code for secret $TOKEN_SECRET_NAME${message:+: $message}"
      return 1
      ;;
  esac
  data=$(json_field "$body" data) || { echo "secret $TOKEN_SECRET_NAME has no payload"; return 1; }
  printf '%s' "$data" | base64 -d 2>/dev/null || { echo "secret $TOKEN_SECRET_NAME payload is not base64"; return 1; }
}
