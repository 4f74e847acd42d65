# The 5.1 gate (ps51-gate.ps1): the rendered boot scripts pass it, and each rule catches its trap.
BeforeAll {
    . (Join-Path $PSScriptRoot 'ps51-gate.ps1')
}

Describe 'the rendered Windows boot scripts pass the Windows PowerShell 5.1 gate' {
    # Rendered by pester.test.ts: each cloud's script as the VM gets it, and the readable form.
    $rendered = @(Get-ChildItem -Path $env:DSKIT_RENDERED_SCRIPTS -Filter '*.ps1' | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } })
    It 'renders something to check' -TestCases @{ Count = $rendered.Count } {
        param($Count)
        $Count | Should -BeGreaterOrEqual 4
    }
    It '<Name> has nothing 5.1 lacks' -TestCases $rendered {
        param($Name, $Path)
        $problems = @(Find-Ps51Problem -Source (Get-Content -Raw $Path) | ForEach-Object { "line $($_.Line) [$($_.Rule)] $($_.Why): $($_.Text)" })
        $problems | Should -BeNullOrEmpty
    }
    It 'the agents/windows sources are ASCII too (inline comments are not stripped)' {
        $root = Join-Path $PSScriptRoot '../../../agents/windows'
        $problems = @(Get-ChildItem -Path $root -Recurse -Filter '*.ps1' | ForEach-Object { Find-Ps51Problem -Source (Get-Content -Raw $_.FullName) } | Where-Object Rule -eq 'non-ascii')
        $problems | Should -BeNullOrEmpty
    }
}

Describe 'each rule of the gate catches its trap' {
    $planted = @(
        @{ Rule = 'ternary'; Code = '$a = $ok ? 1 : 2' }
        @{ Rule = 'null-coalescing'; Code = '$a = $value ?? ''default''' }
        @{ Rule = 'null-coalescing'; Code = '$a ??= 1' }
        @{ Rule = 'null-conditional'; Code = '$n = ${item}?.Name' }
        @{ Rule = 'null-conditional'; Code = '$n = ${list}?[0]' }
        @{ Rule = 'pipeline-chain'; Code = 'Get-Item a && Get-Item b' }
        @{ Rule = 'parameter'; Code = 'Invoke-RestMethod -Uri $u -SkipCertificateCheck' }
        @{ Rule = 'parameter'; Code = 'Invoke-WebRequest -Uri $u -UseBasicParsing -NoProxy' }
        @{ Rule = 'parameter'; Code = 'irm $u -SkipHeaderValidation' }
        @{ Rule = 'parameter'; Code = '$h = $text | ConvertFrom-Json -AsHashtable' }
        @{ Rule = 'parameter'; Code = '1..3 | ForEach-Object -Parallel { $_ }' }
        @{ Rule = 'parameter'; Code = 'Set-Content -Path $f -Value $v -Encoding utf8NoBOM' }
        @{ Rule = 'parameter'; Code = '$p = Join-Path $root ''a'' ''b''' }
        @{ Rule = 'cmdlet'; Code = '$s = ''a'', ''b'' | Join-String -Separator '',''' }
        @{ Rule = 'dotnet-api'; Code = '$hex = [Convert]::ToHexString($bytes)' }
        @{ Rule = 'trap'; Code = 'Invoke-RestMethod -Method Put -Uri $u -Body $b -ContentType ''''' }
        @{ Rule = 'trap'; Code = 'Invoke-WebRequest -Uri $u -OutFile $f' }
        @{ Rule = 'trap'; Code = '@{ a = @{ b = @{ c = 1 } } } | ConvertTo-Json' }
        @{ Rule = 'trap'; Code = '$config | ConvertTo-Json' }
        @{ Rule = 'non-ascii'; Code = "Write-Host 'caf$([char]0xE9)'" }
        @{ Rule = 'non-ascii'; Code = "`$q = $([char]0x2018)curly$([char]0x2019)" }
    )
    It '<Rule>: <Code>' -TestCases $planted {
        param($Rule, $Code)
        @(Find-Ps51Problem -Source $Code | ForEach-Object Rule) | Should -Contain $Rule
    }

    $fine = @(
        @{ Code = 'Invoke-WebRequest -Uri $u -OutFile $f -UseBasicParsing -Headers @{ a = ''b'' } -TimeoutSec 5' }
        @{ Code = '@{ Status = $s; Reason = $r } | ConvertTo-Json -Compress' }
        @{ Code = '@{ logs = @{ files = @(1) } } | ConvertTo-Json -Depth 8' }
        @{ Code = '$p = Join-Path $env:ProgramFiles ''Trend Micro\Deep Security Agent''' }
        @{ Code = 'Set-Content -Path $f -Value $v -Encoding ASCII' }
        @{ Code = '$x = if ($ok) { 1 } else { 2 }' }
        @{ Code = '$h = [Security.Cryptography.HMACSHA256]::new($key)' }
    )
    It 'passes what 5.1 runs the same: <Code>' -TestCases $fine {
        param($Code)
        @(Find-Ps51Problem -Source $Code) | Should -BeNullOrEmpty
    }
}
