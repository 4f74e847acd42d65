# shellcheck shell=bash
# AWS: the activation token from Secrets Manager, read with the instance role (sigv4.sh signs).

cloud_fetch_token_once() {
  local host body headers response code error_type
  aws_role_credentials || return 1
  host="secretsmanager.$AWS_REGION.amazonaws.com"
  body="{\"SecretId\":\"$TOKEN_SECRET_NAME\"}"
  # shellcheck disable=SC2034 # passed to sigv4_sign by name
  headers=("Content-Type: application/x-amz-json-1.1" "Host: $host" "X-Amz-Target: secretsmanager.GetSecretValue")
  sigv4_sign "$ROLE_KEY_ID" "$ROLE_SECRET" "$ROLE_SESSION" "$AWS_REGION" secretsmanager "$(date -u +%Y%m%dT%H%M%SZ)" POST / "$body" headers ||
    { echo "could not sign the Secrets Manager request (sha256sum failed)"; return 1; }
  response=$(curl_headers_config "Authorization: $SIGV4_AUTHORIZATION" "${SIGV4_HEADERS[@]}" |
    curl_tls -K - -w '\n%{http_code}' --data-binary "$body" "https://$host/" 2>&1) ||
    { echo "Secrets Manager did not answer: ${response##*$'\n'}"; return 1; }
  code=${response##*$'\n'} response=${response%$'\n'*}
  if [[ $code != 200 ]]; then
    error_type=$(json_field "$response" __type)
    echo "Secrets Manager GetSecretValue with role $ROLE_NAME: HTTP $code $error_type $(json_field "$response" message)$(json_field "$response" Message)"
    # A grant the same deploy made may not have propagated yet: dskit_identity_retry retries it until the deadline.
    [[ $error_type == *AccessDeniedException ]] && return 2
    return 1
  fi
  json_field "$response" SecretString || { echo "secret $TOKEN_SECRET_NAME has no SecretString"; return 1; }
}
