# AWS: the activation token from Secrets Manager with the instance role (AWS Tools for PowerShell
# ship on Windows AMIs), in process: no command line carries it.
function Get-CloudTokenOnce { (Get-SECSecretValue -SecretId $TokenSecretName -Region $AwsRegion).SecretString }
