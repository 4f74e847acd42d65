# shellcheck shell=bash
# AWS: requests signed with the instance role's credentials (the activation token's read from
# Secrets Manager, secret.sh; the Agent Installer package's download from S3, installer.sh).
#
# Debian and Ubuntu images lack the aws CLI, and curl's --aws-sigv4 signs X-Amz-Security-Token and
# X-Amz-Target differently from one curl release to the next (7.76 on RHEL 9, 7.81 on Ubuntu 22.04,
# 7.88 on Debian 12). So the script signs the request itself (Signature Version 4,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) with bash and
# coreutils' sha256sum, which every supported image has. HMAC-SHA256 is built from plain SHA-256
# (RFC 2104: H((K ^ opad) || H((K ^ ipad) || m))); the key bytes only ever pass through bash
# builtins and sha256sum's stdin, so no secret (the secret access key, the derived signing keys,
# the session token) is ever in a command line. `openssl dgst -hmac KEY` would put it in one.

# Hex of a string's bytes (LC_ALL=C: a character is a byte), and back to a printf format.
hex_of() {
  local i h out=''
  for ((i = 0; i < ${#1}; i++)); do printf -v h '%02x' "'${1:i:1}" && out+=$h; done
  printf '%s' "$out"
}

hex_format() {
  local i out=''
  for ((i = 0; i < ${#1}; i += 2)); do out+="\\x${1:i:2}"; done
  printf '%s' "$out"
}

sha256_hex() {
  local h
  h=$(sha256sum) || return 1
  printf '%s' "${h%% *}"
}

# HMAC-SHA256 of MESSAGE ($2) under the key given in hex ($1); prints the MAC in hex.
# shellcheck disable=SC2059 # the formats are the \xHH escapes built here
hmac_sha256_hex() {
  local key=$1 i ipad='' opad='' inner
  ((${#key} > 128)) && key=$(printf "$(hex_format "$key")" | sha256_hex)
  while ((${#key} < 128)); do key+=00; done
  for ((i = 0; i < 128; i += 2)); do
    printf -v ipad '%s\\x%02x' "$ipad" $((16#${key:i:2} ^ 0x36))
    printf -v opad '%s\\x%02x' "$opad" $((16#${key:i:2} ^ 0x5c))
  done
  inner=$({ printf "$ipad" && printf '%s' "$2"; } | sha256_hex) || return 1
  { printf "$opad" && printf "$(hex_format "$inner")"; } | sha256_hex
}

# RFC 3986 percent-encoding of every byte but A-Z a-z 0-9 - _ . ~ (and $2, e.g. "/").
uri_encode() {
  local s=$1 i c out=''
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    [[ $c == [A-Za-z0-9._~-] || $c == "${2:-.}" ]] || printf -v c '%%%02X' "'$c"
    out+=$c
  done
  printf '%s' "$out"
}

# Signs a request without a query string (all the script sends; a query would cost user data
# space for nothing). Arguments: access key id, secret access key, session token (may be empty),
# region, service, X-Amz-Date (yyyymmddThhmmssZ), method, path (URL-encoded, already normalized:
# no "." or ".." or empty segments), payload, and the name of an array of "Name: value" headers
# (Host included).
# Sets SIGV4_AUTHORIZATION, SIGV4_CANONICAL_REQUEST and SIGV4_HEADERS (every header to send but
# Authorization: the given ones, X-Amz-Date and X-Amz-Security-Token).
sigv4_sign() {
  local key_id=$1 secret=$2 session=$3 region=$4 service=$5 amz_date=$6 method=$7 path=$8 payload=$9
  local -n sigv4_given=${10}
  local header name value canonical_headers='' signed scope key part
  SIGV4_HEADERS=("${sigv4_given[@]}" "X-Amz-Date: $amz_date")
  [[ -n $session ]] && SIGV4_HEADERS+=("X-Amz-Security-Token: $session")
  for header in "${SIGV4_HEADERS[@]}"; do
    name=${header%%:*} value=${header#*:}
    value=${value//[$'\r\n\t']/ }
    while [[ $value == *'  '* ]]; do value=${value//'  '/ }; done
    value=${value# } value=${value% }
    canonical_headers+="${name,,}:$value"$'\n'
  done
  canonical_headers=$(printf '%s' "$canonical_headers" | sort -t : -k1,1)
  signed=$(printf '%s\n' "$canonical_headers" | cut -d : -f 1 | paste -sd ';' -)
  SIGV4_CANONICAL_REQUEST="$method"$'\n'"$(uri_encode "$path" /)"$'\n'""$'\n'
  SIGV4_CANONICAL_REQUEST+="$canonical_headers"$'\n\n'"$signed"$'\n'"$(printf '%s' "$payload" | sha256_hex)"
  scope="${amz_date:0:8}/$region/$service/aws4_request"
  key=$(hex_of "AWS4$secret")
  for part in "${amz_date:0:8}" "$region" "$service" aws4_request \
    "AWS4-HMAC-SHA256"$'\n'"$amz_date"$'\n'"$scope"$'\n'"$(printf '%s' "$SIGV4_CANONICAL_REQUEST" | sha256_hex)"; do
    key=$(hmac_sha256_hex "$key" "$part") || return 1
  done
  SIGV4_AUTHORIZATION="AWS4-HMAC-SHA256 Credential=$key_id/$scope, SignedHeaders=$signed, Signature=$key"
}

# Headers as a curl config on stdin (-K -): they never reach a command line.
curl_headers_config() {
  local header
  for header in "$@"; do
    header=${header//\\/\\\\} header=${header//\"/\\\"}
    printf 'header = "%s"\n' "$header"
  done
}

# The instance role's credentials, from IMDSv2 (the session token on stdin, not the command line).
imds_credentials() {
  printf 'header = "X-aws-ec2-metadata-token: %s"\n' "$1" | curl_metadata -K - "http://169.254.169.254/latest/meta-data/iam/security-credentials/${2:-}"
}

# The instance role's name and credentials from IMDSv2 into ROLE_NAME, ROLE_KEY_ID, ROLE_SECRET and
# ROLE_SESSION: plain variables of the caller (a command substitution's subshell), never exported.
# On failure prints why not and returns 1.
aws_role_credentials() {
  local imds creds
  imds=$(curl_metadata -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) ||
    { echo "instance metadata (IMDSv2) did not answer"; return 1; }
  ROLE_NAME=$(imds_credentials "$imds") || { echo "the instance has no IAM role (instance profile)"; return 1; }
  ROLE_NAME=${ROLE_NAME%%$'\n'*}
  creds=$(imds_credentials "$imds" "$ROLE_NAME") || { echo "instance role $ROLE_NAME credentials unavailable"; return 1; }
  ROLE_KEY_ID=$(json_field "$creds" AccessKeyId) ROLE_SECRET=$(json_field "$creds" SecretAccessKey) ROLE_SESSION=$(json_field "$creds" Token)
  [[ -n $ROLE_KEY_ID && -n $ROLE_SECRET ]] || { echo "instance role $ROLE_NAME credentials unreadable"; return 1; }
}
