# AWS: the activation token from Secrets Manager with the instance role (AWS Tools for PowerShell
# ship on Windows AMIs), in process: no command line carries it.
function Get-DskitToken {
    for ($i = 1; $i -le $Attempts; $i++) {
        try { return (Get-SECSecretValue -SecretId $TokenSecretName -Region $AwsRegion).SecretString }
        catch { Write-DskitLog "reading the activation token, attempt $i/${Attempts}: $($_.Exception.Message)"; if ($i -eq $Attempts) { throw }; Start-Sleep -Seconds (Get-Backoff $i) }
    }
}
