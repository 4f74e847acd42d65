# GCP: the metadata server, and the VM's service account's access token from it.
$MetadataUrl = 'http://metadata.google.internal/computeMetadata/v1'
function Get-DskitAccessToken {
    try { (Invoke-RestMethod -Uri "$MetadataUrl/instance/service-accounts/default/token" -Headers @{ 'Metadata-Flavor' = 'Google' } -TimeoutSec 10).access_token }
    catch { throw "the metadata server gave no service account token (does the VM have a service account?): $($_.Exception.Message)" }
}
