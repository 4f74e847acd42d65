# GCP: guest attribute dskit/status ("activated..." or "failed: <reason>").
function Send-CloudOutcomeOnce([string]$Status, [string]$Reason) {
    $value = if ($Status -eq 'SUCCESS') { $Reason } else { "failed: $Reason" }
    Invoke-RestMethod -Method Put -Uri "$MetadataUrl/instance/guest-attributes/dskit/status" -Headers @{ 'Metadata-Flavor' = 'Google' } -Body ([Text.Encoding]::UTF8.GetBytes($value)) -TimeoutSec 10 | Out-Null
    Write-DskitLog 'outcome written to guest attribute dskit/status'
}
