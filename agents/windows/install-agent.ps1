# Deep Security agent install and activation on Windows, shared by every cloud (SPEC section 4).
# Runs in Windows PowerShell 5.1 (EC2Launch v2 and GCE's startup scripts start powershell.exe):
# test/agent/windows/ps51-gate.ps1 refuses what only PowerShell 7 understands.
# dskit renders: settings, then this file, then the cloud's pieces, which define
#   Get-CloudTokenOnce  one try at the activation token, read with the VM's identity; throws why not
#                       (an UnauthorizedAccessException for a permission error, retried until the deadline)
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
$script:DskitDeadline = (Get-Date).AddSeconds($BudgetSeconds)
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

# Permission errors are retried until the deadline: a new grant takes minutes to reach the secret
# (Google: usually 2, sometimes 7 or more). Other errors get $Attempts tries.
function Get-DskitToken {
    for ($i = 1; ; $i++) {
        try { return Get-CloudTokenOnce }
        catch {
            $denied = $_.Exception -is [UnauthorizedAccessException]
            Write-DskitLog "reading the activation token, attempt ${i}: $($_.Exception.Message)"
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

function Get-AgentPackage {
    # Agent version control wants the OS version and product type too, as Trend's generated script
    # sends them (Trend docs: url-format-for-download-agent, "Required query parameters").
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $query = @()
    if ($TenantNumericId -gt 0) { $query += "tenantID=$TenantNumericId" }
    $query += @("windowsVersion=$($os.Version)", "windowsProductType=$($os.ProductType)")
    $url = "$ManagerUrl/software/agent/Windows/x86_64/agent.msi?" + ($query -join '&')
    $file = Join-Path $DskitDir 'agent.msi'
    for ($i = 1; ; $i++) {
        try {
            Remove-Item -Path $file -Force -ErrorAction SilentlyContinue
            Invoke-WebRequest -Uri $url -OutFile $file -UseBasicParsing -Headers @{ 'Agent-Version-Control' = 'on' } @ProxyArgs
            Write-DskitLog "downloaded $url ($((Get-Item $file).Length) bytes, attempt $i)"
            return $file
        } catch {
            $code = [int]$_.Exception.Response.StatusCode
            Write-DskitLog "download attempt $i/$Attempts of $url failed: $($_.Exception.Message)"
            if ($code -eq 404) { Stop-Dskit 'the manager has no Windows agent package (HTTP 404): import it under Administration > Updates > Software' }
            if ($i -ge $Attempts -or -not (Wait-DskitRetry $i)) { break }
        }
    }
    Stop-Dskit "could not download the agent package from $ManagerUrl $(Get-DskitTries $i); check the manager URL, proxy and outbound HTTPS"
}

# Refuse what is not a complete, signed MSI: an MSI is an OLE compound file (D0 CF 11 E0 ...).
function Test-AgentPackage([string]$File) {
    $item = Get-Item $File
    if ($item.Length -eq 0) { Stop-Dskit 'the downloaded agent package is empty; the manager may not have the package imported' }
    $head = New-Object byte[] 8
    $stream = [IO.File]::OpenRead($File)
    try { [void]$stream.Read($head, 0, 8) } finally { $stream.Close() }
    if ((($head | ForEach-Object { $_.ToString('x2') }) -join '') -ne 'd0cf11e0a1b11ae1') { Stop-Dskit 'the downloaded agent package is not an MSI; refusing to install it' }
    if (-not $VerifySignature) { Write-DskitLog 'WARNING: package signature not verified (manager.verifyPackageSignature is off)'; return }
    $sig = Get-AuthenticodeSignature -FilePath $File
    if ($sig.Status -ne 'Valid') { Stop-Dskit "the MSI's Authenticode signature is $($sig.Status); refusing to install it" }
    if ($sig.SignerCertificate.Subject -notmatch 'O="?Trend Micro') { Stop-Dskit "the MSI is signed by $($sig.SignerCertificate.Subject), not Trend Micro; refusing to install it" }
    Write-DskitLog "signature verified: Authenticode of agent.msi, signer $($sig.SignerCertificate.Subject), thumbprint $($sig.SignerCertificate.Thumbprint)"
}

# ADDLOCAL=ALL installs every feature, as Trend's generated script does. 1618: another install
# (Windows Update, the cloud's agents) holds the installer at first boot; wait for it, boundedly.
function Install-AgentPackage([string]$File) {
    $msiLog = Join-Path $DskitDir 'agent-msi.log'
    for ($i = 1; ; $i++) {
        $p = Start-Process -FilePath msiexec.exe -ArgumentList @('/i', "`"$File`"", '/qn', '/norestart', 'ADDLOCAL=ALL', '/l*v', "`"$msiLog`"") -Wait -PassThru
        if ($p.ExitCode -ne 1618) { break }
        Write-DskitLog 'another installation is in progress (msiexec 1618); waiting'
        if (-not (Wait-DskitRetry $i)) { break }
    }
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { Stop-Dskit "installing the agent MSI failed with exit code $($p.ExitCode) (see $msiLog)" }
    Write-DskitLog 'agent package installed'
}

# Retries a dsa_control call until it succeeds (activation: prints "HTTP Status: 200"); its last
# output, redacted, stays in $script:DsaOutput for the reason.
function Invoke-DsaControl([string]$What, [string[]]$Arguments) {
    # The agent's CLI writes to stderr on refusal: that is an answer to retry on, not an exception.
    $ErrorActionPreference = 'Continue'
    $control = Join-Path $AgentDir 'dsa_control.cmd'
    for ($i = 1; ; $i++) {
        $script:DsaTries = $i
        $out = (& $control @Arguments 2>&1 | Out-String)
        if ($LASTEXITCODE -eq 0 -and ($What -ne 'activation' -or $out -match 'HTTP Status: 200')) { return $true }
        $script:DsaOutput = Protect-Text $out.Trim()
        Write-DskitLog "dsa_control $What attempt $i/$Attempts did not succeed: $($script:DsaOutput)"
        if ($i -ge $Attempts -or -not (Wait-DskitRetry $i)) { return $false }
    }
}

# dsa_control.cmd runs under cmd.exe, where & | < > ^ % " in an argument are commands or
# expansions: the agent's proxy is rebuilt from the URL's host and port alone, both checked.
function Get-DsaProxyAddress {
    $uri = $null
    $plain = 'manager.proxy must be http(s)://host[:port] with a plain host name or IP address'
    if (-not [Uri]::TryCreate($Proxy, [UriKind]::Absolute, [ref]$uri) -or $uri.Scheme -notmatch '^https?$') { Stop-Dskit "$plain, not $Proxy" }
    if ($uri.UserInfo) { Stop-Dskit 'manager.proxy carries credentials: on Windows the agent takes them with dsa_control -u, which dskit does not do; use a proxy without authentication' }
    if ($uri.Host -notmatch '^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$') { Stop-Dskit "$plain, not $Proxy" }
    "$($uri.Host):$($uri.Port)"
}

function Invoke-Activation {
    # Reset first: -r clears the agent's configuration, proxies included; Trend's scripts reset,
    # then set the proxies, then activate.
    if (-not (Invoke-DsaControl 'reset' @('-r'))) { Stop-Dskit "dsa_control -r did not succeed: $($script:DsaOutput)" }
    if ($script:DsaProxy) {
        if (-not (Invoke-DsaControl 'manager proxy' @('-x', "dsm_proxy://$($script:DsaProxy)/"))) { Add-DskitWarning "could not set the agent's manager proxy" }
        # Updates come from relays (Trend Micro's own for Workload Security): same proxy.
        if (-not (Invoke-DsaControl 'relay proxy' @('-y', "relay_proxy://$($script:DsaProxy)/"))) { Add-DskitWarning "could not set the agent's relay proxy" }
    }
    $arguments = @('-a', $ActivationUrl)
    if ($TenantId) { $arguments += "tenantID:$TenantId" }
    $arguments += @("token:$($script:Token)", "policyid:$PolicyId")
    if ($GroupId -gt 0) { $arguments += "groupid:$GroupId" }
    if ($RelayGroupId -gt 0) { $arguments += "relaygroupid:$RelayGroupId" }
    $arguments += "displayname:$DisplayName"
    Write-DskitLog "activating against $ActivationUrl as $DisplayName with policy $PolicyId"
    if (-not (Invoke-DsaControl 'activation' $arguments)) { Stop-Dskit "activation was refused $(Get-DskitTries $script:DsaTries): $($script:DsaOutput)" }
    if (-not (Test-Activated)) { Stop-Dskit 'dsa_control -a reported success but the agent still holds the bootstrap certificate' }
    Write-DskitLog 'activated'
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

function Invoke-DskitMain {
    New-Item -ItemType Directory -Force -Path $DskitDir | Out-Null
    Write-DskitLog "boot script started (cloud $Cloud)"
    if ($Proxy) { $script:DsaProxy = Get-DsaProxyAddress }
    $installed = Test-Path (Join-Path $AgentDir 'dsa_control.cmd')
    if ($installed) {
        Wait-AgentReady
        if (Test-Activated) { Write-DskitLog 'the agent is already activated; leaving it alone (no reset, no new activation)'; Complete-Dskit 'activated (already)' }
    }
    # Trimmed: a secret written with echo ends in a line break, and .NET's $ matches before it.
    try { $script:Token = "$(Get-DskitToken)".Trim() } catch { Stop-Dskit "could not read the activation token from secret ${TokenSecretName}: $($_.Exception.Message)" }
    if ($script:Token -notmatch '^[A-Za-z0-9-]{8,128}$') { Stop-Dskit "secret $TokenSecretName does not hold an activation token (expected letters, digits and dashes)" }
    Write-DskitLog "activation token read from secret $TokenSecretName"
    if (-not $installed) {
        $file = Get-AgentPackage
        Test-AgentPackage $file
        Install-AgentPackage $file
        Wait-AgentReady
    }
    Invoke-Activation
    Complete-Dskit 'activated'
}
