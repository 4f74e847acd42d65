/**
 * Where the Windows tests find PowerShell 7 (`pwsh`, a .NET global tool) and Pester (restored from
 * NuGet into .cache/ by test/agent/windows/install-tools.sh), and why they cannot run here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../support/rootfs';

export const PESTER_VERSION = '5.7.1';
export const PESTER_MANIFEST = path.join(REPO_ROOT, '.cache', 'powershell-modules', 'pester', PESTER_VERSION, 'tools', 'Pester.psd1');
const INSTALL_HINT = 'bash test/agent/windows/install-tools.sh';

/** pwsh on PATH, else where `dotnet tool install --global` puts it. */
export function findPwsh(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const tool = path.join(os.homedir(), '.dotnet', 'tools', 'pwsh');
  return fs.existsSync(tool) ? tool : undefined;
}

/** Why the tests needing pwsh (and optionally Pester, root) cannot run, or undefined. Under CI=true they always run. */
export function windowsSkipReason(needs: { pester?: boolean; root?: boolean } = {}): string | undefined {
  if (process.env.CI === 'true') return undefined;
  if (!findPwsh()) return `pwsh is not installed (${INSTALL_HINT})`;
  if (needs.pester && !fs.existsSync(PESTER_MANIFEST)) return `Pester ${PESTER_VERSION} is not in .cache/ (${INSTALL_HINT})`;
  if (needs.root) {
    if (process.getuid?.() !== 0) return 'not root (they need ip netns for the metadata address)';
    for (const tool of ['ip', 'openssl', 'curl', 'setsid']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install -y iproute2 openssl curl)`;
    }
  }
  return undefined;
}

/** pwsh, or a clear error (under CI a missing tool is a failure, not a skip). */
export function pwshPath(): string {
  const p = findPwsh();
  if (!p) throw new Error(`pwsh is not installed: ${INSTALL_HINT}`);
  return p;
}
