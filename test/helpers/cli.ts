/** Runs `dskit` the way a user does: a child process of bin/dskit.js. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DSKIT_BIN = path.join(REPO_ROOT, 'bin', 'dskit.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runDskit(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [DSKIT_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    // FORCE_COLOR: jest sets it in its workers when run on a terminal; the CLI's output is read plain.
    env: { ...process.env, DSKIT_CONFIG: '', FORCE_COLOR: undefined, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
