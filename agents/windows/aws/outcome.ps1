# AWS: signal the stack's wait condition, so the deploy fails with this VM's reason.
function Send-DskitOutcome([string]$Status, [string]$Reason) {
    $text = Protect-Text $Reason
    $body = @{ Status = $Status; Reason = $text.Substring(0, [Math]::Min(900, $text.Length)); UniqueId = $DisplayName; Data = $Status } | ConvertTo-Json -Compress
    for ($i = 1; $i -le 5; $i++) {
        try { Invoke-RestMethod -Method Put -Uri $WaitHandleUrl -Body $body -ContentType '' @ProxyArgs | Out-Null; Write-DskitLog "outcome $Status signalled to the stack's wait condition"; return }
        catch { Start-Sleep -Seconds (Get-Backoff $i) }
    }
    throw 'could not signal the wait condition'
}
