# AWS: signal the stack's wait condition, so the deploy fails with this VM's reason.
# The handle is a pre-signed S3 URL signed without a Content-Type, so the PUT carries none (AWS's
# own example: curl -X PUT -H 'Content-Type:'). The body goes as bytes: then neither PowerShell adds
# one, and 5.1 throws on -ContentType '' with a string body.
function Send-CloudOutcomeOnce([string]$Status, [string]$Reason) {
    $body = @{ Status = $Status; Reason = $Reason; UniqueId = $DisplayName; Data = $Status } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Put -Uri $WaitHandleUrl -Body ([Text.Encoding]::UTF8.GetBytes($body)) -TimeoutSec 30 @ProxyArgs | Out-Null
    Write-DskitLog "outcome $Status signalled to the stack's wait condition"
}
