# GCP: the activation token from Secret Manager with the VM's service account, in process.
$MetadataUrl = 'http://metadata.google.internal/computeMetadata/v1'
function Get-CloudTokenOnce {
    $sa = Invoke-RestMethod -Uri "$MetadataUrl/instance/service-accounts/default/token" -Headers @{ 'Metadata-Flavor' = 'Google' }
    $secret = Invoke-RestMethod -Uri "https://secretmanager.googleapis.com/v1/projects/$GcpProject/secrets/$TokenSecretName/versions/latest:access" -Headers @{ Authorization = "Bearer $($sa.access_token)" } @ProxyArgs
    [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.payload.data))
}
