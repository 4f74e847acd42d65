# GCP: the receiver's file goes to Cloud Logging through the Ops Agent; the receiver's id is the log name.
function Set-DskitEvents {
    Start-DskitSyslogReceiver
    if (-not (Get-Service google-cloud-ops-agent -ErrorAction SilentlyContinue)) {
        $installer = Join-Path $DskitDir 'add-google-cloud-ops-agent-repo.ps1'
        try { Invoke-WebRequest -Uri 'https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.ps1' -OutFile $installer -UseBasicParsing @ProxyArgs }
        catch { throw 'could not download the Google Ops Agent installer from dl.google.com' }
        & $installer -AlsoInstall | Out-Null
    }
    $config = Join-Path $env:ProgramFiles 'Google\Cloud Operations\Ops Agent\config\config.yaml'
    @"
logging:
  receivers:
    ${LogName}:
      type: files
      include_paths: ['$EventsFile']
  service:
    pipelines:
      dskit_ds_events:
        receivers: [$LogName]
"@ | Set-Content -Path $config -Encoding ASCII
    Restart-Service google-cloud-ops-agent -Force
    Write-DskitLog "events: syslog 127.0.0.1:$SyslogPort/udp -> $EventsFile -> Cloud Logging log $LogName"
}
