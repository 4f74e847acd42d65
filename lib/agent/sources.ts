/**
 * The agent install scripts in agents/: the generic script per platform and the small pieces a
 * boot script is assembled from (read once, cached). A VM's script holds only the pieces it runs:
 * its install path (classic, or Trend's Agent Installer for vision-one), on the classic path its
 * package family (deb or rpm), and its cloud's pieces — which keeps the AWS Linux script inside
 * EC2's 16 KB of user data with a real-size signing key (test/aws/user-data-size.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../config';
import type { Cloud } from '../config';
import type { PackageFamily } from './platforms';

export const AGENTS_DIR = path.join(PACKAGE_ROOT, 'agents');

const cache = new Map<string, string>();

export function agentSource(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    text = fs.readFileSync(path.join(AGENTS_DIR, relative), 'utf8');
    cache.set(relative, text);
  }
  return text;
}

/**
 * How the agent gets onto the VM: `classic` downloads it from the manager and activates it with
 * the tenant's token (workload-security, dsm); `vision-one` runs the tenant's Agent Installer
 * package, which registers the agent itself.
 */
export type InstallPath = 'classic' | 'vision-one';

/** Which pieces a VM's boot script is made of. */
export interface ScriptPieces {
  readonly cloud: Cloud;
  readonly installPath: InstallPath;
  /** Linux, classic path: the package kind the script verifies and installs. */
  readonly family?: PackageFamily;
  /** AWS Linux: the image lacks the SSM agent, so the script installs it (admin.sh). */
  readonly adminAccess?: boolean;
}

/** The cloud's pieces, the same for both platforms; only AWS VMs end themselves (GCP: max_run_duration). */
function cloudPieces(cloud: Cloud): string[] {
  return cloud === 'aws' ? ['outcome', 'events', 'expiry'] : ['outcome', 'events'];
}

/** What reads with the VM's identity: the token (classic) or the installer package (vision-one). */
function identityPieces(p: ScriptPieces): string[] {
  return [p.installPath === 'classic' ? 'secret' : 'installer'];
}

/**
 * The Linux pieces in assembly order: generic, the package family's installs (pkg-deb, pkg-rpm:
 * the classic path's agent package, AWS's CloudWatch and SSM agents), the install path (classic:
 * with the family's package checks, verify-deb or verify-rpm), then the cloud's (identity first).
 */
export function linuxSources(p: ScriptPieces): string[] {
  const family = p.family ?? 'deb';
  const packages = p.installPath === 'classic' || p.cloud === 'aws' ? [`pkg-${family}`] : [];
  const install = p.installPath === 'classic' ? ['classic', `verify-${family}`] : ['vision-one'];
  const signer = p.cloud === 'aws' ? ['sigv4'] : ['metadata'];
  // AWS's event shipping installs rsyslog from the distribution where the image lacks it.
  const distro = p.cloud === 'aws' ? [`distro-${family}`] : [];
  const admin = p.cloud === 'aws' && p.adminAccess ? ['admin'] : [];
  return [
    'linux/install-agent.sh',
    ...[...packages, ...install].map((f) => `linux/${f}.sh`),
    ...[...signer, ...identityPieces(p), ...cloudPieces(p.cloud), ...distro, ...admin].map((f) => `linux/${p.cloud}/${f}.sh`),
    ...exercisePieces(p.cloud, 'linux', 'sh'),
  ];
}

/** The Windows pieces: generic, install path, then the cloud's (the signer or metadata token first). */
export function windowsSources(p: ScriptPieces): string[] {
  const signer = p.cloud === 'aws' ? ['sigv4'] : ['metadata'];
  return [
    'windows/install-agent.ps1',
    `windows/${p.installPath === 'classic' ? 'classic' : 'vision-one'}.ps1`,
    ...[...signer, ...identityPieces(p), ...cloudPieces(p.cloud)].map((f) => `windows/${p.cloud}/${f}.ps1`),
    ...exercisePieces(p.cloud, 'windows', 'ps1'),
  ];
}

/** GCP VMs run `dskit exercise`'s triggers from a watcher the boot script installs; AWS sends them by Run Command. */
function exercisePieces(cloud: Cloud, platform: 'linux' | 'windows', ext: 'sh' | 'ps1'): string[] {
  return cloud === 'gcp' ? [`${platform}/exercise-triggers.${ext}`, `${platform}/gcp/exercise-watcher.${ext}`] : [];
}
