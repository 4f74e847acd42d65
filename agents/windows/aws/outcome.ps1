# AWS: signal the stack's wait condition, so the deploy fails with this VM's reason.
function Send-CloudOutcomeOnce([string]$Status, [string]$Reason) {
    $body = @{ Status = $Status; Reason = $Reason.Substring(0, [Math]::Min(900, $Reason.Length)); UniqueId = $DisplayName; Data = $Status } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Put -Uri $WaitHandleUrl -Body $body -ContentType '' @ProxyArgs | Out-Null
    Write-DskitLog "outcome $Status signalled to the stack's wait condition"
}
