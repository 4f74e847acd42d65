# Deep Security agent install and activation on Windows, shared by every cloud (SPEC §4).
# dskit renders: settings, then this file, then the cloud's pieces, which define
#   Get-CloudTokenOnce  one try at the activation token, read with the VM's identity (throws on failure)
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
$Attempts = 8
$BackoffCap = 30
$ReadyTimeout = 300
# The whole run's budget (rendered from the cloud's activation timeout, less a margin for the
# outcome report): every retry loop stops at this deadline, so the VM reports FAILURE with its
# own reason before the cloud's wait times out.
if (-not $BudgetSeconds) { $BudgetSeconds = 1080 }
$script:DskitDeadline = (Get-Date).AddSeconds($BudgetSeconds)
$Warnings = New-Object System.Collections.Generic.List[string]
$script:Token = $null
$ProxyArgs = @{}
if ($Proxy) { $ProxyArgs = @{ Proxy = $Proxy } }

function Write-DskitLog([string]$Message) {
    $line = '{0} dskit[{1}]: {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ'), $DisplayName, $Message
    Add-Content -Path $LogFile -Value $line
    Write-Output $line
}

function Protect-Text([string]$Text) {
    if ($script:Token) { return $Text.Replace($script:Token, '<token>') }
    $Text
}

function Stop-Dskit([string]$Reason) {
    Write-DskitLog "FAILED: $Reason"
    try { Send-DskitOutcome 'FAILURE' $Reason } catch { Write-DskitLog 'could not report the outcome' }
    exit 1
}

function Get-DskitTimeLeft { [int][Math]::Max(0, ($script:DskitDeadline - (Get-Date)).TotalSeconds) }
function Get-Backoff([int]$Attempt) { [int][Math]::Min([Math]::Pow(2, $Attempt - 1), $BackoffCap) }
function Send-DskitOutcome([string]$Status, [string]$Reason) {
    $text = Protect-Text $Reason
    for ($i = 1; $i -le 5; $i++) {
        try { Send-CloudOutcomeOnce $Status $text; return }
        catch { if ($i -eq 5) { throw }; Start-Sleep -Seconds (Get-Backoff $i) }
    }
}
function Get-DskitToken {
    for ($i = 1; $i -le $Attempts; $i++) {
        try { return Get-CloudTokenOnce }
        catch { Write-DskitLog "reading the activation token, attempt $i/${Attempts}: $($_.Exception.Message)"; if ($i -eq $Attempts) { throw }; Start-Sleep -Seconds (Get-Backoff $i) }
    }
}

function Get-AgentStatus {
    $query = Join-Path $AgentDir 'dsa_query.cmd'
    if (-not (Test-Path $query)) { return '' }
    try { (& $query -c GetAgentStatus 2>$null | Out-String) } catch { '' }
}

# Activated means the agent holds a certificate from the manager, not the bootstrap one.
function Test-Activated {
    $m = [regex]::Match((Get-AgentStatus), 'AgentStatus\.agentCertHash:\s*(\S+)')
    $m.Success -and $m.Groups[1].Value -ne $BootstrapCertHash
}

# Poll until the agent answers instead of the official script's fixed 50 s sleep.
function Wait-AgentReady {
    $deadline = (Get-Date).AddSeconds($ReadyTimeout)
    while ((Get-AgentStatus) -notmatch 'AgentStatus\.agentState:') {
        if ((Get-Date) -gt $deadline) { Stop-Dskit "the agent did not answer dsa_query within $ReadyTimeout s after install" }
        Start-Sleep -Milliseconds 500
    }
    Write-DskitLog 'agent ready'
}

function Get-AgentPackage {
    $url = "$ManagerUrl/software/agent/Windows/x86_64/agent.msi"
    if ($TenantNumericId -gt 0) { $url += "?tenantID=$TenantNumericId" }
    $file = Join-Path $DskitDir 'agent.msi'
    for ($i = 1; $i -le $Attempts; $i++) {
        try {
            Invoke-WebRequest -Uri $url -OutFile $file -UseBasicParsing -Headers @{ 'Agent-Version-Control' = 'on' } @ProxyArgs
            Write-DskitLog "downloaded $url ($((Get-Item $file).Length) bytes, attempt $i)"
            return $file
        } catch {
            $code = $_.Exception.Response.StatusCode.value__
            Write-DskitLog "download attempt $i/$Attempts of $url failed: $($_.Exception.Message)"
            if ($code -eq 404) { Stop-Dskit 'the manager has no Windows agent package (HTTP 404): import it under Administration > Updates > Software' }
            if ($i -lt $Attempts) { Start-Sleep -Seconds (Get-Backoff $i) }
        }
    }
    Stop-Dskit "could not download the agent package from $ManagerUrl after $Attempts attempts; check the manager URL, proxy and outbound HTTPS"
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

function Install-AgentPackage([string]$File) {
    $msiLog = Join-Path $DskitDir 'agent-msi.log'
    $p = Start-Process -FilePath msiexec.exe -ArgumentList @('/i', "`"$File`"", '/qn', '/norestart', '/l*v', "`"$msiLog`"") -Wait -PassThru
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { Stop-Dskit "installing the agent MSI failed with exit code $($p.ExitCode) (see $msiLog)" }
    Write-DskitLog 'agent package installed'
}

function Invoke-DsaControl([string]$What, [string[]]$Arguments) {
    # The agent's CLI writes to stderr on refusal: that is an answer to retry on, not an exception.
    $ErrorActionPreference = 'Continue'
    $control = Join-Path $AgentDir 'dsa_control.cmd'
    $out = ''
    for ($i = 1; $i -le $Attempts; $i++) {
        $out = (& $control @Arguments 2>&1 | Out-String)
        if ($LASTEXITCODE -eq 0 -and ($What -eq 'reset' -or $out -match 'HTTP Status: 200')) { return $true }
        Write-DskitLog "dsa_control $What attempt $i/$Attempts did not succeed: $(Protect-Text $out.Trim())"
        if ($i -lt $Attempts) { Start-Sleep -Seconds (Get-Backoff $i) }
    }
    $false
}

function Invoke-Activation {
    if ($Proxy) {
        & (Join-Path $AgentDir 'dsa_control.cmd') -x ('dsm_proxy://' + ($Proxy -replace '^[a-z]+://', '')) | Out-Null
        # Updates come from relays (Trend Micro's own for Workload Security): same proxy.
        & (Join-Path $AgentDir 'dsa_control.cmd') -y ('relay_proxy://' + ($Proxy -replace '^[a-z]+://', '')) | Out-Null
    }
    if (-not (Invoke-DsaControl 'reset' @('-r'))) { Stop-Dskit 'dsa_control -r did not succeed' }
    $arguments = @('-a', $ActivationUrl)
    if ($TenantId) { $arguments += "tenantID:$TenantId" }
    $arguments += @("token:$($script:Token)", "policyid:$PolicyId")
    if ($GroupId -gt 0) { $arguments += "groupid:$GroupId" }
    if ($RelayGroupId -gt 0) { $arguments += "relaygroupid:$RelayGroupId" }
    $arguments += "displayname:$DisplayName"
    Write-DskitLog "activating against $ActivationUrl as $DisplayName with policy $PolicyId"
    if (-not (Invoke-DsaControl 'activation' $arguments)) { Stop-Dskit "activation was refused after $Attempts attempts (see $LogFile)" }
    if (-not (Test-Activated)) { Stop-Dskit 'dsa_control -a reported success but the agent still holds the bootstrap certificate' }
    Write-DskitLog 'activated'
}

# The agent's CEF syslog arrives on UDP 127.0.0.1:<port>; a small receiver, started at every boot
# by a scheduled task, appends each datagram as a line to $EventsFile for the log agent to ship.
function Start-DskitSyslogReceiver {
    $receiver = Join-Path $DskitDir 'syslog-receiver.ps1'
    @"
`$udp = New-Object System.Net.Sockets.UdpClient(New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Loopback, $SyslogPort))
`$from = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
while (`$true) { `$line = [Text.Encoding]::UTF8.GetString(`$udp.Receive([ref]`$from)).TrimEnd("``r", "``n"); [IO.File]::AppendAllText('$EventsFile', `$line + "``n") }
"@ | Set-Content -Path $receiver -Encoding UTF8
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File `"$receiver`""
    Register-ScheduledTask -TaskName 'dskit-syslog-receiver' -Action $action -Trigger (New-ScheduledTaskTrigger -AtStartup) -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
    Start-ScheduledTask -TaskName 'dskit-syslog-receiver'
}

function Complete-Dskit([string]$Reason) {
    try { Set-DskitEvents } catch { $Warnings.Add("event shipping: $($_.Exception.Message)"); Write-DskitLog "WARNING: event shipping: $($_.Exception.Message)" }
    if (Get-Command Set-DskitExpiry -ErrorAction SilentlyContinue) {
        try { Set-DskitExpiry } catch { $Warnings.Add("expiry: $($_.Exception.Message)"); Write-DskitLog "WARNING: expiry: $($_.Exception.Message)" }
    }
    if (Get-Command Install-DskitExerciseWatcher -ErrorAction SilentlyContinue) {
        try { Install-DskitExerciseWatcher } catch { $Warnings.Add("exercise watcher: $($_.Exception.Message)"); Write-DskitLog "WARNING: exercise watcher: $($_.Exception.Message)" }
    }
    foreach ($w in $Warnings) { $Reason += "; warning: $w" }
    Write-DskitLog "SUCCESS: $Reason"
    try { Send-DskitOutcome 'SUCCESS' $Reason } catch { Write-DskitLog 'could not report the outcome' }
    exit 0
}

function Invoke-DskitMain {
    New-Item -ItemType Directory -Force -Path $DskitDir | Out-Null
    Write-DskitLog "boot script started (cloud $Cloud)"
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
