# AWS: power off at the sandbox's expiry; the stack's InstanceInitiatedShutdownBehavior=terminate
# ends the instance. A scheduled task at an absolute time survives reboots.
function Set-DskitExpiry {
    if ($ExpiresAfterHours -le 0) { return }
    if (Get-ScheduledTask -TaskName 'dskit-expiry' -ErrorAction SilentlyContinue) { return }
    $at = (Get-Date).AddHours($ExpiresAfterHours)
    $action = New-ScheduledTaskAction -Execute 'shutdown.exe' -Argument '/s /f /t 0 /d p:0:0 /c "dskit sandbox expiry"'
    $settings = New-ScheduledTaskSettingsSet -StartWhenAvailable
    Register-ScheduledTask -TaskName 'dskit-expiry' -Action $action -Trigger (New-ScheduledTaskTrigger -Once -At $at) -Settings $settings -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
    Write-DskitLog "expiry: the VM powers off and terminates at $($at.ToUniversalTime().ToString('u'))"
}
