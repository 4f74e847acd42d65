# GCP: guest attribute dskit/status ("activated..." or "failed: <reason>").
function Send-CloudOutcomeOnce([string]$Status, [string]$Reason) {
    $value = if ($Status -eq 'SUCCESS') { $Reason } else { "failed: $Reason" }
    $value = $value.Substring(0, [Math]::Min(900, $value.Length))
    Invoke-RestMethod -Method Put -Uri "$MetadataUrl/instance/guest-attributes/dskit/status" -Headers @{ 'Metadata-Flavor' = 'Google' } -Body $value | Out-Null
    Write-DskitLog 'outcome written to guest attribute dskit/status'
}
