# shellcheck shell=bash
# AWS: the activation token from Secrets Manager, read with the instance role.
# Debian and Ubuntu images lack the aws CLI, so curl signs the request itself (--aws-sigv4).
# The role's credentials reach curl as a config on stdin (-K -), never on a command line, and
# printf is a shell builtin, so no process ever carries them in its arguments.

cloud_fetch_token_once() {
  local imds role creds key_id secret session body
  imds=$(curl_metadata -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) ||
    { echo "instance metadata (IMDSv2) did not answer"; return 1; }
  role=$(printf 'header = "X-aws-ec2-metadata-token: %s"\n' "$imds" | curl_metadata -K - http://169.254.169.254/latest/meta-data/iam/security-credentials/) ||
    { echo "the instance has no IAM role (instance profile)"; return 1; }
  role=${role%%$'\n'*}
  creds=$(printf 'header = "X-aws-ec2-metadata-token: %s"\n' "$imds" | curl_metadata -K - "http://169.254.169.254/latest/meta-data/iam/security-credentials/$role") ||
    { echo "instance role $role credentials unavailable"; return 1; }
  key_id=$(json_field "$creds" AccessKeyId) secret=$(json_field "$creds" SecretAccessKey) session=$(json_field "$creds" Token)
  [[ -n $key_id && -n $secret ]] || { echo "instance role $role credentials unreadable"; return 1; }
  body=$(printf 'user = "%s:%s"\nheader = "X-Amz-Security-Token: %s"\n' "$key_id" "$secret" "$session" |
    curl_tls -K - --fail --aws-sigv4 "aws:amz:$AWS_REGION:secretsmanager" \
      -H 'X-Amz-Target: secretsmanager.GetSecretValue' -H 'Content-Type: application/x-amz-json-1.1' \
      --data "{\"SecretId\":\"$TOKEN_SECRET_NAME\"}" "https://secretsmanager.$AWS_REGION.amazonaws.com/" 2>&1) ||
    { echo "Secrets Manager GetSecretValue failed with role $role: ${body##*$'\n'}"; return 1; }
  json_field "$body" SecretString || { echo "secret $TOKEN_SECRET_NAME has no SecretString"; return 1; }
}
