# AWS: the Agent Installer package from its S3 object (lib/aws/installer-packages.ts), read with the
# instance role: a GET signed here (sigv4.ps1), with S3's x-amz-content-sha256 (an empty body's).
# HTTP 403 is a grant that has not reached the object yet: retried until the deadline.
function Get-CloudInstallerOnce([string]$File) {
    $creds = Get-DskitRoleCredentials
    $endpoint = "$InstallerBucket.s3.$AwsRegion.amazonaws.com"
    $empty = [byte[]]@()
    $headers = New-DskitSigV4Headers 'GET' $endpoint "/$InstallerObject" 's3' @{ 'x-amz-content-sha256' = (Get-Sha256Hex $empty) } $empty $creds
    try { $answer = Send-DskitSigned 'GET' "https://$endpoint/$InstallerObject" $headers $empty $File }
    catch { throw "S3 did not answer: $($_.Exception.Message)" }
    if ($answer.Status -eq 200) { return }
    $why = "S3 GetObject s3://$InstallerBucket/$InstallerObject with role $($creds.Role): HTTP $($answer.Status) $([regex]::Match($answer.Body, '<Code>([^<]*)</Code>').Groups[1].Value)"
    if ($answer.Status -eq 403) { throw (New-Object UnauthorizedAccessException $why) }
    throw $why
}
