# The shared Windows script's functions, in PowerShell, one at a time (the end-to-end runs are in
# boot-script.windows.e2e.test.ts). Each test fails on the defect it is named after.
BeforeAll {
    $agents = Join-Path $PSScriptRoot '../../../agents/windows'
    $env:ProgramData = Join-Path $TestDrive 'ProgramData'
    $env:ProgramFiles = Join-Path $TestDrive 'Program Files'
    # The ScheduledTasks stand-ins (test/fixtures/windows-stand-ins) keep their state here.
    $env:DSKIT_STAND_IN_DIR = $TestDrive
    $DisplayName = 'ds-eval-aws-win-1'; $BudgetSeconds = 600; $Proxy = ''; $TokenSecretName = 'ds-eval-activation-token'
    . (Join-Path $agents 'install-agent.ps1')
    . (Join-Path $agents 'classic.ps1')
    New-Item -ItemType Directory -Force -Path $DskitDir | Out-Null
    $ErrorActionPreference = 'Continue'
}

Describe 'Write-DskitLog' {
    It 'writes the log file and the host, and nothing to the pipeline' {
        $out = @(Write-DskitLog 'hello from a test')
        $out.Count | Should -Be 0
        Get-Content $LogFile -Raw | Should -Match 'dskit\[ds-eval-aws-win-1\]: hello from a test'
    }
    It 'a function that logs, then returns a value, returns only that value' {
        function Get-CloudTokenOnce { if (-not $script:triedOnce) { $script:triedOnce = $true; throw 'not yet' }; 'TOKEN-1234-5678' }
        Mock Start-Sleep {}
        $token = Get-DskitToken
        $token | Should -BeOfType [string]
        $token | Should -Be 'TOKEN-1234-5678'
    }
}

Describe 'Test-Activated' {
    BeforeEach { New-Item -ItemType Directory -Force -Path $AgentDir | Out-Null }
    $cases = @(
        @{ Name = 'a manager certificate'; Hash = 'A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4'; Expected = $true }
        @{ Name = 'the bootstrap certificate'; Hash = 'D0:68:DE:48:1B:DC:4D:00:89:07:7F:85:15:20:C5:90:11:EB:56:6A'; Expected = $false }
        @{ Name = 'an empty value (the next line must not be read as it)'; Hash = ''; Expected = $false }
    )
    It '<Name>: <Expected>' -TestCases $cases {
        param($Name, $Hash, $Expected)
        Mock Get-AgentStatus { "AgentStatus.agentState: yellow`r`nAgentStatus.agentCertHash: $Hash`r`nAgentStatus.dsmUrl: dsm://dsm.example.com:4120/`r`n" }.GetNewClosure()
        Test-Activated | Should -Be $Expected
    }
}

Describe 'the reason reported' {
    It 'is cut before it is encoded: valid JSON, no split escape or surrogate pair, the token redacted' {
        . (Join-Path $agents 'aws/outcome.ps1')
        $WaitHandleUrl = 'https://cloudformation-waitcondition-ap-northeast-1.s3.amazonaws.com/x'
        $script:Token = 'SECRET-TOKEN-0001'
        Mock Invoke-RestMethod { $script:sent = @{ Body = $Body; ContentType = $ContentType } }
        # Quotes, backslashes and line breaks need escapes; an emoji is a surrogate pair, placed across the cut.
        $reason = ('a"b\c' + "`n") * 149 + 'xxx' + [char]::ConvertFromUtf32(0x1F600) + ('tail ' * 100) + $script:Token
        Send-DskitOutcome 'FAILURE' $reason
        $script:sent.ContentType | Should -BeNullOrEmpty
        $script:sent.Body | Should -BeOfType [byte]
        $signal = [Text.Encoding]::UTF8.GetString($script:sent.Body) | ConvertFrom-Json
        $signal.Status | Should -Be 'FAILURE'
        $signal.Reason.Length | Should -BeLessOrEqual 900
        [char]::IsHighSurrogate($signal.Reason[-1]) | Should -BeFalse
        $reason.StartsWith($signal.Reason) | Should -BeTrue
        $signal.Reason | Should -Not -Match 'SECRET-TOKEN'
        $script:Token = $null
    }
    It 'GCP: the guest attribute carries the same cut reason after "failed: "' {
        . (Join-Path $agents 'gcp/outcome.ps1')
        $MetadataUrl = 'http://metadata.google.internal/computeMetadata/v1'
        Mock Invoke-RestMethod { $script:sent = [Text.Encoding]::UTF8.GetString($Body) }
        Send-DskitOutcome 'FAILURE' ('z' * 2000)
        $script:sent | Should -Be ('failed: ' + 'z' * 900)
    }
}

Describe 'retries stop at the deadline' {
    BeforeEach { Mock Start-Sleep {}; $script:BudgetSpent = $false; $script:calls = 0 }
    It 'Wait-DskitRetry refuses a pause the budget cannot cover, and marks the budget spent' {
        $script:DskitDeadline = (Get-Date).AddSeconds(1)
        Wait-DskitRetry 3 | Should -BeFalse
        $script:BudgetSpent | Should -BeTrue
        Get-DskitTries 5 | Should -Be "after 5 attempts, when the run's ${BudgetSeconds}s budget ran out"
    }
    It 'other errors reading the token: $Attempts tries' {
        $script:DskitDeadline = (Get-Date).AddHours(1)
        function Get-CloudTokenOnce { $script:calls++; throw 'Secret Manager access failed: 404' }
        { Get-DskitToken } | Should -Throw '*404*(after 8 attempts)*'
        $script:calls | Should -Be $Attempts
    }
    It 'permission errors reading the token: past $Attempts, until it is granted' {
        $script:DskitDeadline = (Get-Date).AddHours(1)
        function Get-CloudTokenOnce { $script:calls++; if ($script:calls -le 12) { throw (New-Object UnauthorizedAccessException 'HTTP 403 PERMISSION_DENIED') }; 'TOKEN-GRANTED-0001' }
        Get-DskitToken | Should -Be 'TOKEN-GRANTED-0001'
        $script:calls | Should -Be 13
        @(Get-Content $LogFile | Where-Object { $_ -match 'reading the activation token, attempt \d+: HTTP 403' }).Count | Should -BeGreaterOrEqual 12
    }
    It 'permission errors reading the token: until the deadline, then the reason says so' {
        $script:DskitDeadline = (Get-Date).AddSeconds(2)
        function Get-CloudTokenOnce { $script:calls++; throw (New-Object UnauthorizedAccessException 'HTTP 403 PERMISSION_DENIED') }
        { Get-DskitToken } | Should -Throw "*PERMISSION_DENIED (after * attempts, when the run's ${BudgetSeconds}s budget ran out)"
        $script:calls | Should -BeLessOrEqual 3
    }
}

Describe 'the proxy handed to dsa_control.cmd (cmd.exe parses its arguments)' {
    BeforeEach { Mock Stop-Dskit { throw "STOPPED: $Reason" } }
    $cases = @(
        @{ Proxy = 'http://proxy.example.com:3128'; Expected = 'proxy.example.com:3128' }
        @{ Proxy = 'https://proxy.example.com'; Expected = 'proxy.example.com:443' }
        @{ Proxy = 'http://proxy.example.com:3128/&calc.exe'; Expected = 'proxy.example.com:3128' }
        @{ Proxy = 'http://[fd00::1]:8080/'; Expected = '[fd00::1]:8080' }
    )
    It '<Proxy> -> <Expected>' -TestCases $cases {
        param($Proxy, $Expected)
        Get-DsaProxyAddress | Should -Be $Expected
    }
    $refused = @(
        @{ Proxy = 'http://proxy&calc.exe:3128'; Why = 'with a plain host name or IP address' }
        @{ Proxy = 'http://%COMPUTERNAME%:3128'; Why = 'with a plain host name or IP address' }
        @{ Proxy = 'http://proxy.example.com^:3128'; Why = 'with a plain host name or IP address' }
        @{ Proxy = 'http://user:p%40ss@proxy.example.com:3128'; Why = 'carries credentials' }
        @{ Proxy = 'socks5://proxy.example.com:1080'; Why = 'must be http(s)://host' }
    )
    It 'refused: <Proxy> (<Why>)' -TestCases $refused {
        param($Proxy, $Why)
        { Get-DsaProxyAddress } | Should -Throw "STOPPED: *$Why*"
    }
}

Describe 'the syslog receiver the scheduled task starts' {
    It 'is a script 5.1 can run' {
        . (Join-Path $PSScriptRoot 'ps51-gate.ps1')
        $SyslogPort = 514
        Mock Start-ScheduledTask {}
        Start-DskitSyslogReceiver
        (Get-ScheduledTask -TaskName 'dskit-syslog-receiver').Settings.ExecutionTimeLimit | Should -Be 'PT0S'
        $receiver = Join-Path $DskitDir 'syslog-receiver.ps1'
        @(Find-Ps51Problem -Source (Get-Content -Raw $receiver)) | Should -BeNullOrEmpty
        Get-Content -Raw $receiver | Should -Match 'IPAddress\]::Loopback, 514'
    }
}
