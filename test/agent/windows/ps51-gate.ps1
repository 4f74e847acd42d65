# The Windows PowerShell 5.1 gate: the boot scripts run in powershell.exe 5.1 (EC2Launch v2's
# <powershell> and GCE's windows-startup-script-ps1 both start it), but the tests run them in pwsh 7,
# which accepts more. This walks a script's syntax tree with PowerShell's own parser and reports what
# 5.1 lacks or does differently. Each rule names its source; ps51-gate.Tests.ps1 plants each one.
Set-StrictMode -Version 3

# Parameters 5.1 has, for the cmdlets where 7 added ones a script reaches for (anything else is 7-only).
# Source: the cmdlets' syntax blocks in the 5.1 reference (learn.microsoft.com/powershell/module/...?view=powershell-5.1).
$script:CommonParameters = @('Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable')
$web51 = @('Method', 'UseBasicParsing', 'Uri', 'WebSession', 'SessionVariable', 'Credential', 'UseDefaultCredentials', 'CertificateThumbprint', 'Certificate', 'UserAgent', 'DisableKeepAlive',
    'TimeoutSec', 'Headers', 'MaximumRedirection', 'Proxy', 'ProxyCredential', 'ProxyUseDefaultCredentials', 'Body', 'ContentType', 'TransferEncoding', 'InFile', 'OutFile', 'PassThru')
$script:Parameters51 = @{
    'Invoke-WebRequest' = $web51
    'Invoke-RestMethod' = $web51
    'ConvertFrom-Json'  = @('InputObject')
    'ConvertTo-Json'    = @('InputObject', 'Depth', 'Compress')
    'ForEach-Object'    = @('InputObject', 'Begin', 'Process', 'End', 'RemainingScripts', 'MemberName', 'ArgumentList', 'WhatIf', 'Confirm')
    'Get-Date'          = @('Date', 'Year', 'Month', 'Day', 'Hour', 'Minute', 'Second', 'Millisecond', 'DisplayHint', 'Format', 'UFormat')
    'Join-Path'         = @('Path', 'ChildPath', 'Resolve', 'Credential')
    'Set-Content'       = @('Path', 'LiteralPath', 'Value', 'PassThru', 'Filter', 'Include', 'Exclude', 'Force', 'Credential', 'WhatIf', 'Confirm', 'NoNewline', 'Encoding', 'Stream')
    'Add-Content'       = @('Path', 'LiteralPath', 'Value', 'PassThru', 'Filter', 'Include', 'Exclude', 'Force', 'Credential', 'WhatIf', 'Confirm', 'NoNewline', 'Encoding', 'Stream')
}
# -Encoding values 5.1 does not know (it has Unknown, String, Unicode, BigEndianUnicode, UTF8, UTF7, UTF32, ASCII, Default, OEM, Byte).
$script:Encodings7 = @('utf8NoBOM', 'utf8BOM', 'ansi', 'bigendianutf32', 'latin1')
$script:Aliases = @{ iwr = 'Invoke-WebRequest'; irm = 'Invoke-RestMethod'; '%' = 'ForEach-Object'; foreach = 'ForEach-Object' }
# Cmdlets that arrived after 5.1 (about_PowerShell_Editions; "What's New in PowerShell 6/7").
$script:Cmdlets7 = @('Join-String', 'Test-Json', 'Get-Error', 'Get-Uptime', 'ConvertFrom-Markdown', 'Remove-Alias', 'Clear-RecycleBin')
# .NET members that .NET Framework 4.8 (under 5.1) lacks and .NET 5+ (under 7) has ("Applies to" in the .NET API reference).
$script:DotNet7 = @('ToHexString', 'FromHexString', 'HashData', 'GetRelativePath')

function New-Problem([string]$Rule, $Ast, [string]$Why) {
    [pscustomobject]@{ Rule = $Rule; Line = $Ast.Extent.StartLineNumber; Text = $Ast.Extent.Text; Why = $Why }
}

function Find-Ps51Problem {
    param([Parameter(Mandatory)][string]$Source)
    $tokens = $null; $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Source, [ref]$tokens, [ref]$errors)
    foreach ($e in $errors) { [pscustomobject]@{ Rule = 'parse'; Line = $e.Extent.StartLineNumber; Text = $e.Extent.Text; Why = $e.Message } }

    # 5.1 reads a .ps1 without a byte-order mark in the ANSI code page, and treats the curly quotes as
    # string delimiters (about_Character_Encoding, 5.1): keep scripts ASCII.
    $lineNo = 0
    foreach ($line in $Source -split "`n") {
        $lineNo++
        if ($line -match '[^\x00-\x7E]') { [pscustomobject]@{ Rule = 'non-ascii'; Line = $lineNo; Text = $line.Trim(); Why = '5.1 reads a script without a BOM as ANSI' } }
    }

    $all = $ast.FindAll({ $true }, $true)
    foreach ($node in $all) {
        $type = $node.GetType().Name
        # 7.0 operators (about_Operators, "What's New in PowerShell 7.0").
        if ($type -eq 'TernaryExpressionAst') { New-Problem 'ternary' $node '?: is PowerShell 7' }
        if ($type -eq 'PipelineChainAst') { New-Problem 'pipeline-chain' $node '&& and || are PowerShell 7' }
        if ($type -eq 'BinaryExpressionAst' -and "$($node.Operator)" -eq 'QuestionQuestion') { New-Problem 'null-coalescing' $node '?? is PowerShell 7' }
        if ($type -eq 'AssignmentStatementAst' -and "$($node.Operator)" -eq 'QuestionQuestionEquals') { New-Problem 'null-coalescing' $node '??= is PowerShell 7' }
        if ($type -in 'MemberExpressionAst', 'InvokeMemberExpressionAst', 'IndexExpressionAst' -and $node.PSObject.Properties['NullConditional'] -and $node.NullConditional) {
            New-Problem 'null-conditional' $node '?. and ?[] are PowerShell 7'
        }
        if ($type -in 'MemberExpressionAst', 'InvokeMemberExpressionAst' -and $node.Static -and $node.Member.PSObject.Properties['Value'] -and $script:DotNet7 -contains $node.Member.Value) {
            New-Problem 'dotnet-api' $node ".NET Framework 4.8 has no $($node.Member.Value)"
        }
        if ($type -ne 'CommandAst') { continue }
        $name = $node.GetCommandName()
        if (-not $name) { continue }
        if ($script:Aliases.ContainsKey($name)) { $name = $script:Aliases[$name] }
        if ($script:Cmdlets7 -contains $name) { New-Problem 'cmdlet' $node "$name is not in 5.1" }
        $elements = $node.CommandElements
        $params = @($elements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] })
        $named = @($params | ForEach-Object { $_.ParameterName })
        if ($script:Parameters51.ContainsKey($name)) {
            foreach ($p in $params) {
                $known = @($script:Parameters51[$name] + $script:CommonParameters | Where-Object { $_.StartsWith($p.ParameterName, [StringComparison]::OrdinalIgnoreCase) })
                if (-not $known) { New-Problem 'parameter' $p "$name has no -$($p.ParameterName) in 5.1" }
            }
        }
        # -Encoding values 5.1 does not have.
        for ($i = 0; $i -lt $elements.Count - 1; $i++) {
            if ($elements[$i] -is [System.Management.Automation.Language.CommandParameterAst] -and $elements[$i].ParameterName -eq 'Encoding' -and $script:Encodings7 -contains "$($elements[$i + 1].Extent.Text)".Trim("'", '"')) {
                New-Problem 'parameter' $elements[$i + 1] "-Encoding $($elements[$i + 1].Extent.Text) is not in 5.1"
            }
        }
        # Join-Path a b c: 7's -AdditionalChildPath takes the rest; 5.1 has no third position.
        if ($name -eq 'Join-Path') {
            $positional = 0
            for ($i = 1; $i -lt $elements.Count; $i++) {
                if ($elements[$i] -is [System.Management.Automation.Language.CommandParameterAst]) { if (-not $elements[$i].Argument) { $i++ }; continue }
                $positional++
            }
            if ($positional -gt 2) { New-Problem 'parameter' $node 'Join-Path takes two positions in 5.1' }
        }
        # Traps: 5.1 accepts these and then behaves differently.
        if ($name -in 'Invoke-WebRequest', 'Invoke-RestMethod') {
            for ($i = 0; $i -lt $elements.Count - 1; $i++) {
                if ($elements[$i] -is [System.Management.Automation.Language.CommandParameterAst] -and $elements[$i].ParameterName -eq 'ContentType' -and $elements[$i + 1] -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $elements[$i + 1].Value -eq '') {
                    # dskit issue 10: 5.1 throws on an empty content type with a string body; send none instead.
                    New-Problem 'trap' $node "-ContentType '' throws in 5.1"
                }
            }
        }
        if ($name -eq 'Invoke-WebRequest' -and $named -notcontains 'UseBasicParsing') {
            # 5.1's Invoke-WebRequest parses HTML with Internet Explorer's engine, absent on Server Core and
            # before IE's first run, and since CVE-2025-54100's update it asks for confirmation (5.1 reference).
            New-Problem 'trap' $node 'Invoke-WebRequest without -UseBasicParsing needs IE (or a prompt) in 5.1'
        }
        if ($name -eq 'ConvertTo-Json' -and $named -notcontains 'Depth') {
            # Default depth 2: 5.1 silently writes deeper levels as their type name (7 warns). Fine only for a flat literal.
            $pipeline = $node.Parent
            $flat = $false
            if ($pipeline -is [System.Management.Automation.Language.PipelineAst] -and $pipeline.PipelineElements.Count -ge 2 -and $pipeline.PipelineElements[0] -is [System.Management.Automation.Language.CommandExpressionAst]) {
                $input0 = $pipeline.PipelineElements[0].Expression
                $flat = $input0 -is [System.Management.Automation.Language.HashtableAst] -and -not $input0.Find({ param($n) $n -ne $input0 -and ($n -is [System.Management.Automation.Language.HashtableAst] -or $n -is [System.Management.Automation.Language.ArrayLiteralAst] -or $n -is [System.Management.Automation.Language.ArrayExpressionAst]) }, $true)
            }
            if (-not $flat) { New-Problem 'trap' $node 'ConvertTo-Json without -Depth cuts at depth 2' }
        }
    }
}
