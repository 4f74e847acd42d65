# AWS: the activation token from Secrets Manager with the instance role's credentials (sigv4.ps1), in
# process, so no command line carries the token or the role's keys. AccessDeniedException is a grant
# that has not reached the secret yet: retried until the deadline.
function Get-CloudTokenOnce {
    $creds = Get-DskitRoleCredentials
    $endpoint = "secretsmanager.$AwsRegion.amazonaws.com"
    $body = [Text.Encoding]::UTF8.GetBytes((@{ SecretId = $TokenSecretName } | ConvertTo-Json -Compress))
    $headers = New-DskitSigV4Headers 'POST' $endpoint '/' 'secretsmanager' @{ 'content-type' = 'application/x-amz-json-1.1'; 'x-amz-target' = 'secretsmanager.GetSecretValue' } $body $creds
    try { $answer = Send-DskitSigned 'POST' "https://$endpoint/" $headers $body }
    catch { throw "Secrets Manager GetSecretValue failed with role $($creds.Role): $($_.Exception.Message)" }
    if ($answer.Status -ne 200) {
        $why = "Secrets Manager GetSecretValue failed with role $($creds.Role): HTTP $($answer.Status) $($answer.Body)"
        if ($answer.Body -match 'AccessDeniedException') { throw (New-Object UnauthorizedAccessException $why) }
        throw $why
    }
    ($answer.Body | ConvertFrom-Json).SecretString
}
