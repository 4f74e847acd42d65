# The classic install path (manager.type workload-security or dsm) on Windows: the manager's MSI,
# checked and installed, then dsa_control -a with the activation token read with the VM's identity.

function Get-DskitToken {
    Invoke-DskitIdentityRetry 'reading the activation token' { Get-CloudTokenOnce }
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
