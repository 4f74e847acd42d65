# GCP: the activation token from Secret Manager with the VM's service account, in process.
# 403 (PERMISSION_DENIED) is a grant that has not reached the secret yet: retried until the deadline.
$MetadataUrl = 'http://metadata.google.internal/computeMetadata/v1'
function Get-CloudTokenOnce {
    try { $sa = Invoke-RestMethod -Uri "$MetadataUrl/instance/service-accounts/default/token" -Headers @{ 'Metadata-Flavor' = 'Google' } -TimeoutSec 10 }
    catch { throw "the metadata server gave no service account token (does the VM have a service account?): $($_.Exception.Message)" }
    try { $secret = Invoke-RestMethod -Uri "https://secretmanager.googleapis.com/v1/projects/$GcpProject/secrets/$TokenSecretName/versions/latest:access" -Headers @{ Authorization = "Bearer $($sa.access_token)" } -TimeoutSec 30 @ProxyArgs }
    catch {
        $why = "Secret Manager access failed: $($_.Exception.Message)"
        if ([int]$_.Exception.Response.StatusCode -eq 403) { throw (New-Object UnauthorizedAccessException $why) }
        throw $why
    }
    [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.payload.data))
}
