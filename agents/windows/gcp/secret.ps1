# GCP: the activation token from Secret Manager with the VM's service account (metadata.ps1), in process.
# 403 (PERMISSION_DENIED) is a grant that has not reached the secret yet: retried until the deadline.
function Get-CloudTokenOnce {
    $access = Get-DskitAccessToken
    try { $secret = Invoke-RestMethod -Uri "https://secretmanager.googleapis.com/v1/projects/$GcpProject/secrets/$TokenSecretName/versions/latest:access" -Headers @{ Authorization = "Bearer $access" } -TimeoutSec 30 @ProxyArgs }
    catch {
        $why = "Secret Manager access failed: $($_.Exception.Message)"
        if ([int]$_.Exception.Response.StatusCode -eq 403) { throw (New-Object UnauthorizedAccessException $why) }
        throw $why
    }
    [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.payload.data))
}
