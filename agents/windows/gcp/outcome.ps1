# GCP: guest attribute dskit/status ("activated..." or "failed: <reason>").
function Send-DskitOutcome([string]$Status, [string]$Reason) {
    $value = Protect-Text $Reason
    if ($Status -ne 'SUCCESS') { $value = "failed: $value" }
    $value = $value.Substring(0, [Math]::Min(900, $value.Length))
    for ($i = 1; $i -le 5; $i++) {
        try { Invoke-RestMethod -Method Put -Uri "$MetadataUrl/instance/guest-attributes/dskit/status" -Headers @{ 'Metadata-Flavor' = 'Google' } -Body $value | Out-Null; Write-DskitLog 'outcome written to guest attribute dskit/status'; return }
        catch { Start-Sleep -Seconds (Get-Backoff $i) }
    }
    throw 'could not write guest attribute dskit/status'
}
