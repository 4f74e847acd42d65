# shellcheck shell=bash
# AWS: the Agent Installer package from its S3 object (lib/aws/installer-packages.ts), read with the
# instance role: a GET signed here (sigv4.sh). S3 wants the payload's hash in x-amz-content-sha256
# (signed, like every x-amz-* header); an empty body's for a GET. The object's name is hex and
# `.tar`, so S3's single-encoded canonical path is the same as the signer's.

# One try at downloading the package into $1; prints why not and returns 1, or 2 while the role may
# not read it yet (a grant the same deploy made: dskit_identity_retry retries until the deadline).
cloud_fetch_installer_once() {
  local host="$INSTALLER_BUCKET.s3.$AWS_REGION.amazonaws.com" headers code answer limit
  aws_role_credentials || return 1
  # shellcheck disable=SC2034 # passed to sigv4_sign by name
  headers=("Host: $host" "X-Amz-Content-Sha256: $(printf '' | sha256_hex)")
  sigv4_sign "$ROLE_KEY_ID" "$ROLE_SECRET" "$ROLE_SESSION" "$AWS_REGION" s3 "$(date -u +%Y%m%dT%H%M%SZ)" GET "/$INSTALLER_OBJECT" '' headers ||
    { echo "could not sign the S3 request (sha256sum failed)"; return 1; }
  limit=$(time_left)
  ((limit > 600)) && limit=600
  rm -f "$1"
  code=$(curl_headers_config "Authorization: $SIGV4_AUTHORIZATION" "${SIGV4_HEADERS[@]}" |
    curl_tls -K - -o "$1" -w '%{http_code}' --max-time "$((limit > 0 ? limit : 1))" "https://$host/$INSTALLER_OBJECT" 2>&1) ||
    { echo "S3 did not answer: ${code##*$'\n'}"; return 1; }
  [[ $code == 200 ]] && return 0
  answer=$(head -c 1000 "$1" 2>/dev/null)
  rm -f "$1"
  echo "S3 GetObject s3://$INSTALLER_BUCKET/$INSTALLER_OBJECT with role $ROLE_NAME: HTTP $code $(sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p' <<<"$answer")"
  [[ $code == 403 ]] && return 2
  return 1
}
