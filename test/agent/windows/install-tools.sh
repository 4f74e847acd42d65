#!/usr/bin/env bash
# The Windows boot-script tests' tools: pwsh (a .NET global tool) and Pester (a NuGet package,
# restored into the repo's git-ignored .cache/ where the tests import it from). Needs the .NET SDK
# and NuGet; run by .ci/run, and by hand: bash test/agent/windows/install-tools.sh
set -euo pipefail
PWSH_VERSION=7.6.9
PESTER_VERSION=5.7.1
repo=$(cd "$(dirname "$0")/../../.." && pwd)
export PATH="$PATH:$HOME/.dotnet/tools" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [[ $(pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null) != "$PWSH_VERSION" ]]; then
  # update installs it too when it is missing, and replaces another version
  dotnet tool update --global PowerShell --version "$PWSH_VERSION"
fi

modules="$repo/.cache/powershell-modules"
if [[ ! -f $modules/pester/$PESTER_VERSION/tools/Pester.psd1 ]]; then
  # PackageDownload fetches the package as it is (no framework to match), into a folder of our own.
  project=$(mktemp -d)
  trap 'rm -rf "$project"' EXIT
  cat >"$project/pester.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net$(dotnet --version | cut -d. -f1).0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
XML
  dotnet restore "$project/pester.csproj" --packages "$modules" --verbosity quiet
fi
echo "pwsh $(pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'), Pester $PESTER_VERSION in $modules/pester/$PESTER_VERSION/tools"
