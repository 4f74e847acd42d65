# The Agent Installer path (manager.type vision-one) on Windows. Trend's tenant-specific package
# installs the agent with the Server & Workload Protection features and registers it with the
# Protection Manager it was downloaded for; the manager's event-based task (dskit policy ensure)
# gives it the sandbox's policy by its host name. Trend, "Deploy agents with Server & Workload
# Protection features": unzip the package, do not rename or move its files, run EndpointBasecamp.exe;
# Trend's Group Policy sample script runs it silently: -ArgumentList '/s /v/qn', -Wait.
# Settings: $InstallerBucket / $InstallerObject (where the cloud's installer piece downloads it
# from) and $InstallerSha256 (checked before anything is unpacked).
$ProgramFilesX86 = if (${env:ProgramFiles(x86)}) { ${env:ProgramFiles(x86)} } else { $env:ProgramFiles }
# Where the installed Endpoint Basecamp is (Trend's Intune detection rule): there, the package ran before.
$BasecampExe = Join-Path $ProgramFilesX86 'Trend Micro\Endpoint Basecamp\EndpointBasecamp.exe'
$PollSeconds = Get-DskitTunable 'DSKIT_POLL_SECONDS' 5
$RenameMarker = Join-Path $DskitDir 'renamed-for-agent'

# The agent reports the computer's name: it must be the display name before anything is installed.
# Renaming takes effect at the next start, so the script restarts the VM and runs again after it
# (GCE runs windows-startup-script-ps1 at every boot; the EC2 user data is <persist>true</persist>).
# The marker keeps the first run's start, so both runs share one budget, and stops a rename loop.
function Set-DskitHostName {
    $current = (Get-CimInstance -ClassName Win32_ComputerSystem).DNSHostName
    if (Test-Path $RenameMarker) { $script:DskitDeadline = ([datetime](Get-Content $RenameMarker -Raw).Trim()).AddSeconds($BudgetSeconds) }
    if ($current -eq $DisplayName) { Write-DskitLog "host name $DisplayName"; return }
    if (Test-Path $RenameMarker) { Stop-Dskit "the computer was renamed to $DisplayName and restarted, but its name is still $current" }
    Set-Content -Path $RenameMarker -Value $script:DskitStarted.ToUniversalTime().ToString('o')
    Rename-Computer -NewName $DisplayName -Force -WarningAction SilentlyContinue
    Write-DskitLog "renamed the computer from $current to $DisplayName; restarting, the script goes on after the restart"
    Restart-Computer -Force
    exit 0
}

# Downloads the package with the VM's identity (retried), checks its SHA-256, unzips it and returns
# its EndpointBasecamp.exe, with its Authenticode signature checked when verifyPackageSignature is on.
function Get-DskitInstaller {
    $file = Join-Path $DskitDir $InstallerObject
    $once = { Get-CloudInstallerOnce $file }.GetNewClosure()
    try { Invoke-DskitIdentityRetry 'downloading the Agent Installer package' $once | Out-Null }
    catch { Stop-Dskit "could not download the Agent Installer package ${InstallerObject}: $($_.Exception.Message)" }
    $sha = (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash.ToLowerInvariant()
    if ($sha -ne $InstallerSha256) { Stop-Dskit "the downloaded Agent Installer package has SHA-256 $sha, not the $InstallerSha256 it was deployed with; refusing to unpack it" }
    Write-DskitLog "Agent Installer package downloaded ($((Get-Item -LiteralPath $file).Length) bytes), SHA-256 $sha as deployed"
    $dir = Join-Path $DskitDir 'agent-installer'
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
    try { Expand-Archive -LiteralPath $file -DestinationPath $dir -Force } catch { Stop-Dskit "the Agent Installer package does not unzip: $($_.Exception.Message)" }
    $exe = @(Get-ChildItem -LiteralPath $dir -Recurse -Depth 1 -Filter 'EndpointBasecamp.exe' -File)[0]
    if (-not $exe) { Stop-Dskit 'the Agent Installer package holds no EndpointBasecamp.exe: is it the Windows package for Server & Workload Protection?' }
    if (-not $VerifySignature) { Write-DskitLog 'WARNING: EndpointBasecamp.exe signature not verified (manager.verifyPackageSignature is off)' }
    else {
        $sig = Get-AuthenticodeSignature -FilePath $exe.FullName
        if ($sig.Status -ne 'Valid') { Stop-Dskit "EndpointBasecamp.exe's Authenticode signature is $($sig.Status); refusing to run it" }
        if ($sig.SignerCertificate.Subject -notmatch 'O="?Trend Micro') { Stop-Dskit "EndpointBasecamp.exe is signed by $($sig.SignerCertificate.Subject), not Trend Micro; refusing to run it" }
        Write-DskitLog "signature verified: Authenticode of EndpointBasecamp.exe, signer $($sig.SignerCertificate.Subject), thumbprint $($sig.SignerCertificate.Thumbprint)"
    }
    $exe.FullName
}

function Install-DskitBasecamp([string]$Exe) {
    Write-DskitLog 'running the Agent Installer: EndpointBasecamp.exe /s /v/qn'
    $p = Start-Process -FilePath $Exe -ArgumentList '/s /v/qn' -WorkingDirectory (Split-Path -Parent $Exe) -Wait -PassThru
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { Stop-Dskit "the Agent Installer (EndpointBasecamp.exe) failed with exit code $($p.ExitCode)" }
}

# The installer leaves the agent to install and register itself: poll until it holds the manager's
# certificate, never past the run's deadline.
function Wait-DskitActivated {
    $started = Get-Date
    while (-not (Test-Activated)) {
        if ((Get-DskitTimeLeft) -le $PollSeconds) {
            $script:BudgetSpent = $true
            Stop-Dskit "the Agent Installer ran, but no activated agent after $([int]((Get-Date) - $started).TotalSeconds) s (the run's ${BudgetSeconds}s budget ran out): see Endpoint Inventory, and Server & Workload Protection > Administration > System Settings > Agents (agent-initiated activation allowed, agents may specify their host name)"
        }
        Start-Sleep -Seconds $PollSeconds
    }
    Write-DskitLog "activated after $([int]((Get-Date) - $started).TotalSeconds) s"
}

function Invoke-DskitMain {
    New-Item -ItemType Directory -Force -Path $DskitDir | Out-Null
    Write-DskitLog "boot script started (cloud $Cloud, Agent Installer)"
    if (Test-Activated) { Write-DskitLog 'the agent is already activated; leaving it alone (no new installation)'; Complete-Dskit 'activated (already)' }
    Set-DskitHostName
    if (Test-Path -LiteralPath $BasecampExe) { Write-DskitLog "the Agent Installer ran before ($BasecampExe): waiting for its agent, not installing again" }
    else { Install-DskitBasecamp (Get-DskitInstaller) }
    Wait-DskitActivated
    Complete-Dskit 'activated'
}
