# Deep Security agent install and activation on Windows, shared by every cloud (SPEC section 4).
# Runs in Windows PowerShell 5.1 (EC2Launch v2 and GCE's startup scripts start powershell.exe):
# test/agent/windows/ps51-gate.ps1 refuses what only PowerShell 7 understands.
# dskit renders: settings, then this file, the install path (classic.ps1: the manager's MSI and
# dsa_control -a; vision-one.ps1: Trend's Agent Installer package), then the cloud's pieces, which define
#   Get-CloudTokenOnce  (classic) one try at the activation token, read with the VM's identity; throws
#                       why not (an UnauthorizedAccessException for a permission error, retried until the deadline)
#   Get-CloudInstallerOnce  (vision-one) one try at downloading the installer package into a file; the same
#   Send-CloudOutcomeOnce  one try at reporting Status (SUCCESS|FAILURE) and a short, redacted reason (throws)
#   Set-DskitEvents     local syslog receiver + shipping; throws what failed
#   Set-DskitExpiry     optional: end the VM at the sandbox's expiry
#   Install-DskitExerciseWatcher  optional: what runs `dskit exercise`'s triggers on request
# The token lives only in $script:Token and the arguments of `dsa_control -a`; it is never logged.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
$DskitDir = Join-Path $env:ProgramData 'dskit'
$LogFile = Join-Path $DskitDir 'dskit-agent.log'
$EventsFile = Join-Path $DskitDir 'ds-events.log'
$AgentDir = Join-Path $env:ProgramFiles 'Trend Micro\Deep Security Agent'
$BootstrapCertHash = 'D0:68:DE:48:1B:DC:4D:00:89:07:7F:85:15:20:C5:90:11:EB:56:6A'
# Tunables (none secret): a slow network may want more patience; tests want less.
function Get-DskitTunable([string]$Name, [int]$Default) {
    $v = [Environment]::GetEnvironmentVariable($Name)
    if ("$v" -match '^[0-9]+$') { [int]$v } else { $Default }
}
$Attempts = Get-DskitTunable 'DSKIT_ATTEMPTS' 8
$BackoffCap = Get-DskitTunable 'DSKIT_BACKOFF_CAP' 30
$ReadyTimeout = Get-DskitTunable 'DSKIT_READY_TIMEOUT' 300
$ReasonLimit = 900
# The whole run's budget (rendered from the cloud's activation timeout, less a margin for the
# outcome report): every retry loop stops at this deadline, so the VM reports FAILURE with its
# own reason before the cloud's wait times out.
if (-not $BudgetSeconds) { $BudgetSeconds = 1080 }
$script:DskitStarted = Get-Date
$script:DskitDeadline = $script:DskitStarted.AddSeconds($BudgetSeconds)
$script:BudgetSpent = $false
$Warnings = New-Object System.Collections.Generic.List[string]
$script:Token = $null
$script:DsaProxy = ''
$script:DsaOutput = ''
$ProxyArgs = @{}
if ($Proxy) { $ProxyArgs = @{ Proxy = $Proxy } }

# To the host, never the pipeline: a function that logs and then returns a value returns only that value.
function Write-DskitLog([string]$Message) {
    $line = '{0} dskit[{1}]: {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $DisplayName, $Message
    Add-Content -Path $LogFile -Value $line
    Write-Host $line
}

function Protect-Text([string]$Text) {
    if ($script:Token) { return $Text.Replace($script:Token, '<token>') }
    $Text
}

# The reason is cut here, before a cloud piece encodes it (JSON, a guest attribute): a cut after
# encoding can split an escape. Never between the halves of a surrogate pair.
function Limit-DskitReason([string]$Text) {
    if ($Text.Length -le $ReasonLimit) { return $Text }
    $cut = $ReasonLimit
    if ([char]::IsHighSurrogate($Text[$cut - 1])) { $cut-- }
    $Text.Substring(0, $cut)
}

function Stop-Dskit([string]$Reason) {
    Write-DskitLog "FAILED: $Reason"
    try { Send-DskitOutcome 'FAILURE' $Reason } catch { Write-DskitLog "could not report the outcome: $($_.Exception.Message)" }
    exit 1
}

function Get-DskitTimeLeft { [int][Math]::Max(0, ($script:DskitDeadline - (Get-Date)).TotalSeconds) }
function Get-Backoff([int]$Attempt) { [int][Math]::Min([Math]::Pow(2, $Attempt - 1), $BackoffCap) }
# Sleeps before the next try; $false (and the budget marked spent) when the deadline comes first.
function Wait-DskitRetry([int]$Attempt) {
    $pause = Get-Backoff $Attempt
    if ((Get-DskitTimeLeft) -le $pause) { $script:BudgetSpent = $true; return $false }
    Start-Sleep -Seconds $pause
    $true
}
function Get-DskitTries([int]$Count) {
    if ($script:BudgetSpent) { return "after $Count attempts, when the run's ${BudgetSeconds}s budget ran out" }
    "after $Count attempts"
}

# The outcome gets its own few tries after the deadline: the budget leaves a margin for them.
function Send-DskitOutcome([string]$Status, [string]$Reason) {
    $text = Limit-DskitReason (Protect-Text $Reason)
    for ($i = 1; $i -le 5; $i++) {
        try { Send-CloudOutcomeOnce $Status $text; return }
        catch { if ($i -eq 5) { throw }; Start-Sleep -Seconds (Get-Backoff $i) }
    }
}

# Retries the install path's one call with the VM's identity ($Once). Permission errors (an
# UnauthorizedAccessException) are retried until the deadline: a new grant takes minutes to reach
# the secret or the object (Google: usually 2, sometimes 7 or more). Other errors get $Attempts tries.
function Invoke-DskitIdentityRetry([string]$What, [scriptblock]$Once) {
    for ($i = 1; ; $i++) {
        try { return (& $Once) }
        catch {
            $denied = $_.Exception -is [UnauthorizedAccessException]
            Write-DskitLog "${What}, attempt ${i}: $($_.Exception.Message)"
            if ((-not $denied -and $i -ge $Attempts) -or -not (Wait-DskitRetry $i)) { throw "$($_.Exception.Message) ($(Get-DskitTries $i))" }
        }
    }
}

function Get-AgentStatus {
    $query = Join-Path $AgentDir 'dsa_query.cmd'
    if (-not (Test-Path $query)) { return '' }
    try { (& $query -c GetAgentStatus 2>$null | Out-String) } catch { '' }
}

# Activated means the agent holds a certificate from the manager, not the bootstrap one. The value
# is read on its own line: an empty one must not pick up the next line.
function Test-Activated {
    $m = [regex]::Match((Get-AgentStatus), '(?m)^AgentStatus\.agentCertHash:[ \t]*([^\s]+)[ \t]*\r?$')
    $m.Success -and $m.Groups[1].Value -ne $BootstrapCertHash
}

# Poll until the agent answers instead of the official script's fixed 50 s sleep.
function Wait-AgentReady {
    $wait = [Math]::Min($ReadyTimeout, (Get-DskitTimeLeft))
    $deadline = (Get-Date).AddSeconds($wait)
    while ((Get-AgentStatus) -notmatch 'AgentStatus\.agentState:') {
        if ((Get-Date) -gt $deadline) { Stop-Dskit "the agent did not answer dsa_query within $wait s (is the ds_agent service running? Get-Service ds_agent)" }
        Start-Sleep -Milliseconds 500
    }
    Write-DskitLog 'agent ready'
}

# The agent's CEF syslog arrives on UDP 127.0.0.1:<port>; a small receiver, started at every boot
# by a scheduled task, appends each datagram as a line to $EventsFile for the log agent to ship.
# No execution time limit: Task Scheduler's default (72 h) would stop the events 3 days after a boot.
function Start-DskitSyslogReceiver {
    $receiver = Join-Path $DskitDir 'syslog-receiver.ps1'
    @"
`$udp = New-Object System.Net.Sockets.UdpClient(New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Loopback, $SyslogPort))
`$from = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
while (`$true) { `$line = [Text.Encoding]::UTF8.GetString(`$udp.Receive([ref]`$from)).TrimEnd("``r", "``n"); [IO.File]::AppendAllText('$EventsFile', `$line + "``n") }
"@ | Set-Content -Path $receiver -Encoding UTF8
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$receiver`""
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero)
    Register-ScheduledTask -TaskName 'dskit-syslog-receiver' -Action $action -Trigger (New-ScheduledTaskTrigger -AtStartup) -Settings $settings -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
    Start-ScheduledTask -TaskName 'dskit-syslog-receiver'
}

# A warning goes into the log now and into the outcome's reason at the end.
function Add-DskitWarning([string]$Text) {
    $Warnings.Add($Text)
    Write-DskitLog "WARNING: $Text"
}

function Complete-Dskit([string]$Reason) {
    try { Set-DskitEvents } catch { Add-DskitWarning "event shipping: $($_.Exception.Message)" }
    if (Get-Command Set-DskitExpiry -ErrorAction SilentlyContinue) {
        try { Set-DskitExpiry } catch { Add-DskitWarning "expiry: $($_.Exception.Message)" }
    }
    if (Get-Command Install-DskitExerciseWatcher -ErrorAction SilentlyContinue) {
        try { Install-DskitExerciseWatcher } catch { $Warnings.Add("exercise watcher: $($_.Exception.Message)"); Write-DskitLog "WARNING: exercise watcher: $($_.Exception.Message)" }
    }
    foreach ($w in $Warnings) { $Reason += "; warning: $w" }
    Write-DskitLog "SUCCESS: $Reason"
    try { Send-DskitOutcome 'SUCCESS' $Reason } catch { Write-DskitLog "could not report the outcome: $($_.Exception.Message)" }
    exit 0
}

