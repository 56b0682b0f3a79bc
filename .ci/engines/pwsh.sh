#!/usr/bin/env bash
# The real PowerShell engine for the *.engine.test.ts tier: PowerShell 7.6.10 as a .NET tool and
# Pester 5 from NuGet, both into .tools/ of the project (nothing global, nothing from a browser
# download). Subcommands:
#   install  installs both (idempotent) and fails loudly when either cannot be installed;
#   start    prints DRIVERLAB_PWSH=<path> and DRIVERLAB_PESTER=<module folder> (KEY=VALUE lines);
#   stop     nothing to stop (pwsh runs per test).
# 7.7.0 does not install on this machine kind, hence the pin.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools"
pwsh_version="7.6.10"
pester_version="5.7.1"
pwsh_dir="$tools/pwsh"
pwsh_bin="$pwsh_dir/pwsh"
pester_dir="$tools/pester/$pester_version"

fail() { echo "pwsh engine: $*" >&2; exit 1; }

install_pwsh() {
  if [ -x "$pwsh_bin" ] && "$pwsh_bin" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$pwsh_version"; then
    return 0
  fi
  command -v dotnet >/dev/null || fail "the .NET SDK (dotnet) is not on PATH, so PowerShell $pwsh_version cannot be installed as a .NET tool; install the SDK and run again."
  mkdir -p "$pwsh_dir"
  dotnet tool uninstall PowerShell --tool-path "$pwsh_dir" >/dev/null 2>&1 || true
  dotnet tool install PowerShell --version "$pwsh_version" --tool-path "$pwsh_dir" >&2 \
    || fail "'dotnet tool install PowerShell --version $pwsh_version' failed (see above); the NuGet registry must be reachable."
  [ -x "$pwsh_bin" ] || fail "PowerShell installed but $pwsh_bin is not there."
}

install_pester() {
  if [ -f "$pester_dir/Pester.psd1" ]; then return 0; fi
  local work
  work="$(mktemp -d)"
  # A tiny project whose restore brings the Pester package (a PowerShell module shipped as a NuGet
  # package) into a private package folder; its module folder is then copied into .tools/.
  cat >"$work/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pester_version]" /></ItemGroup>
</Project>
XML
  dotnet restore "$work/restore.csproj" --packages "$work/packages" >&2 \
    || fail "the NuGet package Pester $pester_version could not be restored (see above); the NuGet registry must be reachable."
  local found
  found="$(find "$work/packages" -name Pester.psd1 -print -quit)"
  [ -n "$found" ] || fail "the Pester package has no Pester.psd1."
  mkdir -p "$pester_dir"
  cp -R "$(dirname "$found")/." "$pester_dir/"
  rm -rf "$work"
}

case "${1:-}" in
  install)
    install_pwsh
    install_pester
    echo "pwsh engine: PowerShell $pwsh_version at $pwsh_bin, Pester $pester_version at $pester_dir" >&2
    ;;
  start)
    [ -x "$pwsh_bin" ] || fail "PowerShell is not installed; run '.ci/engines/pwsh.sh install' first."
    [ -f "$pester_dir/Pester.psd1" ] || fail "Pester is not installed; run '.ci/engines/pwsh.sh install' first."
    echo "DRIVERLAB_PWSH=$pwsh_bin"
    echo "DRIVERLAB_PESTER=$pester_dir"
    ;;
  stop) ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
