# Runs the Pester tests beside this file and writes one JSON line per test to $ResultFile, for
# pester.test.ts to report each as a jest test. Pester is imported from the given manifest (restored
# from NuGet by install-tools.sh), never from a machine-wide module folder.
param([Parameter(Mandatory)][string]$PesterManifest, [Parameter(Mandatory)][string]$ResultFile)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
$config = New-PesterConfiguration
$config.Run.Path = @(Get-ChildItem -Path $PSScriptRoot -Filter '*.Tests.ps1' | ForEach-Object FullName)
$config.Run.PassThru = $true
$config.Output.Verbosity = 'None'
$result = Invoke-Pester -Configuration $config
$lines = foreach ($t in $result.Tests) {
    @{ name = $t.ExpandedPath; result = "$($t.Result)"; error = (($t.ErrorRecord | ForEach-Object { "$_" }) -join "`n") } | ConvertTo-Json -Compress
}
$lines += @{ name = '(containers)'; result = $(if ($result.FailedContainersCount -gt 0) { 'Failed' } else { 'Passed' }); error = (($result.Containers | Where-Object Result -eq 'Failed' | ForEach-Object { "$($_.Item): $($_.ErrorRecord)" }) -join "`n") } | ConvertTo-Json -Compress
Set-Content -Path $ResultFile -Value $lines -Encoding UTF8
