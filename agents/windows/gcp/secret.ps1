# GCP: the activation token from Secret Manager with the VM's service account, in process.
$MetadataUrl = 'http://metadata.google.internal/computeMetadata/v1'
function Get-DskitToken {
    for ($i = 1; $i -le $Attempts; $i++) {
        try {
            $sa = Invoke-RestMethod -Uri "$MetadataUrl/instance/service-accounts/default/token" -Headers @{ 'Metadata-Flavor' = 'Google' }
            $secret = Invoke-RestMethod -Uri "https://secretmanager.googleapis.com/v1/projects/$GcpProject/secrets/$TokenSecretName/versions/latest:access" -Headers @{ Authorization = "Bearer $($sa.access_token)" } @ProxyArgs
            return [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($secret.payload.data))
        } catch { Write-DskitLog "reading the activation token, attempt $i/${Attempts}: $($_.Exception.Message)"; if ($i -eq $Attempts) { throw }; Start-Sleep -Seconds (Get-Backoff $i) }
    }
}
