# GCP: the Agent Installer package from its Cloud Storage object (lib/gcp/installer-packages.ts), read
# with the VM's service account (metadata.ps1): the JSON API's media download. HTTP 403 is a grant
# that has not reached the bucket yet: retried until the deadline.
function Get-CloudInstallerOnce([string]$File) {
    $access = Get-DskitAccessToken
    $uri = "https://storage.googleapis.com/storage/v1/b/$InstallerBucket/o/${InstallerObject}?alt=media"
    try { Invoke-WebRequest -UseBasicParsing -Uri $uri -Headers @{ Authorization = "Bearer $access" } -OutFile $File -TimeoutSec ([Math]::Max(30, [Math]::Min(600, (Get-DskitTimeLeft)))) @ProxyArgs }
    catch {
        $why = "Cloud Storage refused gs://$InstallerBucket/$InstallerObject to the VM's service account: $($_.Exception.Message)"
        if ([int]$_.Exception.Response.StatusCode -eq 403) { throw (New-Object UnauthorizedAccessException $why) }
        throw $why
    }
}
