/**
 * The agent install scripts in agents/: the generic script per platform and the small
 * cloud-specific pieces a boot script is assembled from (read once, cached).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../config';
import type { Cloud } from '../config';

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

/** The cloud's pieces, the same for both platforms; only AWS VMs end themselves (GCP: max_run_duration). */
function cloudPieces(cloud: Cloud): string[] {
  return cloud === 'aws' ? ['secret', 'outcome', 'events', 'expiry'] : ['secret', 'outcome', 'events'];
}

/** The Linux pieces in assembly order: generic first, then the cloud's (AWS: also the SSM agent, which Debian and RHEL images lack). */
export function linuxSources(cloud: Cloud): string[] {
  const linuxOnly = cloud === 'aws' ? ['admin'] : [];
  return ['linux/install-agent.sh', ...[...cloudPieces(cloud), ...linuxOnly].map((p) => `linux/${cloud}/${p}.sh`), ...exercisePieces(cloud, 'linux', 'sh')];
}

export function windowsSources(cloud: Cloud): string[] {
  return ['windows/install-agent.ps1', ...cloudPieces(cloud).map((p) => `windows/${cloud}/${p}.ps1`), ...exercisePieces(cloud, 'windows', 'ps1')];
}

/** GCP VMs run `dskit exercise`'s triggers from a watcher the boot script installs; AWS sends them by Run Command. */
function exercisePieces(cloud: Cloud, platform: 'linux' | 'windows', ext: 'sh' | 'ps1'): string[] {
  return cloud === 'gcp' ? [`${platform}/exercise-triggers.${ext}`, `${platform}/gcp/exercise-watcher.${ext}`] : [];
}
