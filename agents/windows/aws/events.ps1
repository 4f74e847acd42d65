# AWS: the receiver's file goes to the sandbox's CloudWatch Logs group through the CloudWatch agent.
function Set-DskitEvents {
    Start-DskitSyslogReceiver
    $ctl = Join-Path $env:ProgramFiles 'Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent-ctl.ps1'
    if (-not (Test-Path $ctl)) {
        $msi = Join-Path $DskitDir 'amazon-cloudwatch-agent.msi'
        try { Invoke-WebRequest -Uri 'https://amazoncloudwatch-agent.s3.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi' -OutFile $msi -UseBasicParsing @ProxyArgs }
        catch { throw 'the CloudWatch agent could not be downloaded' }
        $p = Start-Process msiexec.exe -ArgumentList @('/i', "`"$msi`"", '/qn') -Wait -PassThru
        if ($p.ExitCode -ne 0) { throw "the CloudWatch agent install failed ($($p.ExitCode))" }
    }
    $config = Join-Path $DskitDir 'cloudwatch-ds-events.json'
    @{ logs = @{ logs_collected = @{ files = @{ collect_list = @(@{ file_path = $EventsFile; log_group_name = $LogGroupName; log_stream_name = $DisplayName }) } } } } |
        ConvertTo-Json -Depth 8 | Set-Content -Path $config -Encoding ASCII
    & $ctl -a fetch-config -m ec2 -s -c "file:$config" | Out-Null
    Write-DskitLog "events: syslog 127.0.0.1:$SyslogPort/udp -> $EventsFile -> CloudWatch Logs $LogGroupName"
}
