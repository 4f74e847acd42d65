# GCP: how `dskit exercise` reaches a Windows VM without new ingress (as agents/linux/gcp/exercise-watcher.sh).
# A scheduled task long-polls the metadata server (wait_for_change) for key dskit-exercise =
# "run=<id> modules=<k,...>", runs exactly those triggers of agents/windows/exercise-triggers.ps1,
# and answers in guest attributes dskit-exercise/<module> and dskit-exercise/watcher. Each run once.
$DskitExerciseWatcher = Join-Path $env:ProgramData 'dskit\exercise-watcher.ps1'
$DskitExerciseLastRun = Join-Path $env:ProgramData 'dskit\exercise-last-run'

function Send-DskitExerciseAnswer([string]$Key, [string]$Value) {
    if ($Value.Length -gt 900) { $Value = $Value.Substring(0, 900) }
    Invoke-RestMethod -Method Put -Uri "$MetadataUrl/instance/guest-attributes/dskit-exercise/$Key" -Headers @{ 'Metadata-Flavor' = 'Google' } -Body $Value -TimeoutSec 10 | Out-Null
}

# One request value: refused unless it is exactly "run=<id> modules=<known,...>" of a new run.
function Invoke-DskitExerciseRequest([string]$Value) {
    if (-not $Value) { return }
    if ($Value -cnotmatch '^run=([a-z0-9][a-z0-9-]{0,63}) modules=((am|wrs|ips|im|li|fw)(,(am|wrs|ips|im|li|fw)){0,5})$') {
        Write-Warning "dskit exercise watcher: ignoring dskit-exercise=$Value (expected run=<id> modules=<am,wrs,ips,im,li,fw>)"
        return
    }
    $run = $Matches[1]
    $modules = $Matches[2]
    if ((Test-Path $DskitExerciseLastRun) -and ("$(Get-Content -Raw $DskitExerciseLastRun)".Trim() -eq $run)) { return }
    Set-Content -Path $DskitExerciseLastRun -Value $run
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    try { Send-DskitExerciseAnswer 'watcher' "$run started $now modules $modules" } catch { Write-Warning "dskit exercise watcher: cannot write guest attributes: $($_.Exception.Message)" }
    foreach ($line in @(Invoke-DskitExercise $run $modules)) {
        if ("$line" -cmatch '^dskit-exercise (am|wrs|ips|im|li|fw) (.*)$') {
            try { Send-DskitExerciseAnswer $Matches[1] "$run $($Matches[2])" } catch { Write-Warning "dskit exercise watcher: cannot write guest attributes: $($_.Exception.Message)" }
        }
    }
    try { Send-DskitExerciseAnswer 'watcher' "$run done $([DateTimeOffset]::UtcNow.ToUnixTimeSeconds())" } catch { Write-Warning 'dskit exercise watcher: cannot write guest attributes' }
}

# Long-polls every instance attribute (a missing key answers 404 at once), with the ETag so each
# change wakes it exactly once.
function Watch-DskitExercise {
    $etag = 'NONE'
    while ($true) {
        try {
            $response = Invoke-WebRequest -UseBasicParsing -TimeoutSec 330 -Headers @{ 'Metadata-Flavor' = 'Google' } -Uri "$MetadataUrl/instance/attributes/?recursive=true&wait_for_change=true&timeout_sec=300&last_etag=$etag"
            $etag = "$(@($response.Headers['ETag'])[0])"
            if ($etag -notmatch '^[A-Za-z0-9]+$') { $etag = 'NONE' }
            $attributes = "$($response.Content)" | ConvertFrom-Json
            Invoke-DskitExerciseRequest "$($attributes.'dskit-exercise')"
        } catch {
            $etag = 'NONE'
            Start-Sleep -Seconds 5
        }
    }
}

function ConvertTo-DskitExerciseLiteral($Value) {
    if ($Value -is [int]) { return "$Value" }
    "'" + "$Value".Replace("'", "''") + "'"
}

# Called by the boot script's Complete-Dskit: writes the watcher (the functions above, the
# triggers and the settings they read) as a script of its own, run at every boot as SYSTEM.
function Install-DskitExerciseWatcher {
    $text = New-Object System.Text.StringBuilder
    [void]$text.AppendLine('# dskit exercise watcher, written by the dskit boot script (agents/windows/gcp/exercise-watcher.ps1)')
    [void]$text.AppendLine("`$ProgressPreference = 'SilentlyContinue'")
    foreach ($v in @(Get-Variable -Name 'DskitExercise*', 'MetadataUrl', 'Proxy' -ErrorAction SilentlyContinue)) {
        [void]$text.AppendLine("`$$($v.Name) = $(ConvertTo-DskitExerciseLiteral $v.Value)")
    }
    foreach ($f in @(Get-ChildItem function: | Where-Object { $_.Name -like '*-DskitExercise*' -and $_.Name -notlike 'Install-*' })) {
        [void]$text.AppendLine("function $($f.Name) {")
        [void]$text.AppendLine($f.ScriptBlock.ToString())
        [void]$text.AppendLine('}')
    }
    [void]$text.AppendLine('Watch-DskitExercise')
    Set-Content -Path $DskitExerciseWatcher -Value $text.ToString() -Encoding UTF8
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$DskitExerciseWatcher`""
    # No time limit (the default stops a task after 3 days) and a restart if it dies.
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)
    Register-ScheduledTask -TaskName 'dskit-exercise-watcher' -Action $action -Trigger (New-ScheduledTaskTrigger -AtStartup) -Settings $settings -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
    Start-ScheduledTask -TaskName 'dskit-exercise-watcher'
    Write-DskitLog 'exercise watcher: waiting on instance metadata key dskit-exercise (answers in guest attributes dskit-exercise/*)'
}
