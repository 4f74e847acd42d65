# `dskit exercise` on Windows: the benign test event of each protection module, as Trend's docs
# describe them (lib/exercise/catalogue.ts and docs/exercise.md cite each). AWS sends this file
# through Run Command (AWS-RunPowerShellScript); on GCP the boot script puts it into the exercise
# watcher. `Invoke-DskitExercise <run> <am,wrs,...>` writes one line per trigger:
# `dskit-exercise <module> <ok|failed> <unix seconds> <detail>`. Windows PowerShell 5.1 and later.
$DskitExerciseDir = Join-Path $env:ProgramData 'dskit\exercise'
# The EICAR test file, base64: the 68 bytes themselves would make scanners quarantine this script.
$DskitExerciseEicarB64 = 'WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo='
$DskitExerciseWrsUrl = 'http://wrs21.winshipway.com/'
$DskitExerciseIpsUrl = 'http://files.trendmicro.com/products/eicar-file/eicar.com'
$DskitExerciseFwAddress = '169.254.169.254'
$DskitExerciseFwPort = 9
$DskitExerciseHosts = Join-Path "$env:SystemRoot" 'System32\drivers\etc\hosts'

function Write-DskitExerciseResult([string]$Module, [string]$Status, [string]$Detail) {
    $text = ($Detail -replace '\s+', ' ').Trim()
    if ($text.Length -gt 400) { $text = $text.Substring(0, 400) }
    'dskit-exercise {0} {1} {2} {3}' -f $Module, $Status, [DateTimeOffset]::UtcNow.ToUnixTimeSeconds(), $text
}

# One HTTP GET, body kept in memory only. A request that never left the VM (no DNS) fails the
# trigger; an answer, a reset or a timeout means the agent had its chance.
function Invoke-DskitExerciseHttp([string]$Module, [string]$Url) {
    $target = ([Uri]$Url).Host
    if (-not $Proxy) {
        try { [void][Net.Dns]::GetHostAddresses($target) }
        catch { return Write-DskitExerciseResult $Module 'failed' "GET ${Url}: could not resolve $target; the VM needs DNS and outbound HTTP for this test" }
    }
    $request = @{ Uri = $Url; TimeoutSec = 20 }
    if ($Proxy) { $request.Proxy = $Proxy }
    try {
        $response = Invoke-WebRequest -UseBasicParsing @request
        Write-DskitExerciseResult $Module 'ok' "GET ${Url}: HTTP $([int]$response.StatusCode)"
    } catch {
        $status = $null
        if ($_.Exception.Response) { try { $status = [int]$_.Exception.Response.StatusCode } catch { $status = $null } }
        if ($status) { Write-DskitExerciseResult $Module 'ok' "GET ${Url}: HTTP $status" }
        else { Write-DskitExerciseResult $Module 'ok' "GET ${Url}: no complete answer ($($_.Exception.Message)), as when the agent blocks or resets it" }
    }
}

function Invoke-DskitExerciseAm([string]$Run) {
    $dir = Join-Path $DskitExerciseDir $Run
    $file = Join-Path $dir 'eicar.com'
    try { New-Item -ItemType Directory -Force -Path $dir | Out-Null }
    catch { return Write-DskitExerciseResult 'am' 'failed' "could not create ${dir}: $($_.Exception.Message)" }
    try {
        [IO.File]::WriteAllBytes($file, [Convert]::FromBase64String($DskitExerciseEicarB64))
        Write-DskitExerciseResult 'am' 'ok' "wrote the EICAR test file $file (68 bytes)"
    } catch {
        # ERROR_VIRUS_INFECTED (225): a real-time scan refused the write, which is the detection.
        if ($_.Exception.HResult -eq -2147024671 -or $_.Exception.Message -match 'virus') { Write-DskitExerciseResult 'am' 'ok' "writing $file was refused as malware (a real-time scan caught it)" }
        else { Write-DskitExerciseResult 'am' 'failed' "could not write the EICAR test file ${file}: $($_.Exception.Message)" }
    }
}

function Invoke-DskitExerciseWrs([string]$Run) { Invoke-DskitExerciseHttp 'wrs' $DskitExerciseWrsUrl }

function Invoke-DskitExerciseIps([string]$Run) { Invoke-DskitExerciseHttp 'ips' $DskitExerciseIpsUrl }

# Append a comment line to the hosts file, give real-time monitoring a moment, put the bytes back.
function Invoke-DskitExerciseIm([string]$Run) {
    $hosts = $DskitExerciseHosts
    try { $saved = [IO.File]::ReadAllBytes($hosts) }
    catch { return Write-DskitExerciseResult 'im' 'failed' "cannot read ${hosts}: $($_.Exception.Message)" }
    try { [IO.File]::AppendAllText($hosts, "`r`n# dskit exercise ${Run}: integrity monitoring test, removed again`r`n") }
    catch { return Write-DskitExerciseResult 'im' 'failed' "cannot write ${hosts}: $($_.Exception.Message)" }
    Start-Sleep -Seconds 2
    [IO.File]::WriteAllBytes($hosts, $saved)
    Write-DskitExerciseResult 'im' 'ok' "changed $hosts (one comment line added, then removed)"
}

# A logon as an account that does not exist, over SMB to this machine: Security event 4625, which
# the Microsoft Windows Events rule reads. The password is random; no such account exists.
function Invoke-DskitExerciseLi([string]$Run) {
    $user = "dskit-nouser-$Run"
    $password = [Guid]::NewGuid().ToString('N')
    $out = (& net.exe use '\\127.0.0.1\IPC$' "/user:$user" $password 2>&1 | Out-String)
    $code = $LASTEXITCODE
    if ($code -eq 0) {
        & net.exe use '\\127.0.0.1\IPC$' /delete /y 2>&1 | Out-Null
        return Write-DskitExerciseResult 'li' 'failed' "net use as $user logged on: an account of that name exists"
    }
    if ($out -match '\b(53|67|2250)\b') { return Write-DskitExerciseResult 'li' 'failed' "net use as $user did not reach the logon (is the Server service running?): $out" }
    Write-DskitExerciseResult 'li' 'ok' "net use \\127.0.0.1\IPC$ as $user was refused: $out"
}

# An outgoing TCP connection the sandbox policy's Deny rule drops; nothing leaves the cloud host.
function Invoke-DskitExerciseFw([string]$Run) {
    $probe = "${DskitExerciseFwAddress}:$DskitExerciseFwPort"
    $client = New-Object Net.Sockets.TcpClient
    try {
        if ($client.ConnectAsync($DskitExerciseFwAddress, $DskitExerciseFwPort).Wait(5000)) { Write-DskitExerciseResult 'fw' 'ok' "TCP $probe connected (nothing denied it)" }
        else { Write-DskitExerciseResult 'fw' 'ok' "TCP ${probe}: no answer in 5 s (dropped, as a Deny rule does)" }
    } catch { Write-DskitExerciseResult 'fw' 'ok' "TCP ${probe}: refused or reset" }
    finally { $client.Close() }
}

function Invoke-DskitExercise([string]$Run, [string]$Modules) {
    if ($Run -cnotmatch '^[a-z0-9][a-z0-9-]{0,63}$') { throw 'dskit exercise: bad run id' }
    foreach ($module in $Modules.Split(',')) {
        switch -CaseSensitive ($module) {
            'am' { Invoke-DskitExerciseAm $Run }
            'wrs' { Invoke-DskitExerciseWrs $Run }
            'ips' { Invoke-DskitExerciseIps $Run }
            'im' { Invoke-DskitExerciseIm $Run }
            'li' { Invoke-DskitExerciseLi $Run }
            'fw' { Invoke-DskitExerciseFw $Run }
            default { Write-Warning "dskit exercise: unknown module $module" }
        }
    }
}
