/**
 * What the manager-side commands share: a client built from the config and flags, retry
 * progress on stderr, policy ids resolved the same way everywhere, and manager errors turned
 * into the CLI's exit codes (setup problems 2, API failures 1, each one line).
 */
import type { PolicyConfig } from '../../config';
import { cachePolicyId, cachedPolicyId } from '../../context';
import { ManagerApiError, ManagerSetupError, ManagerUnreachableError, managerClientFor, type ManagerClient } from '../../manager';
import type { CommandContext } from '../context';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';

/** A missing key or a bad URL throws ManagerSetupError, which `managerCommand` turns into exit 2. */
export function managerClient(ctx: CommandContext): ManagerClient {
  return managerClientFor(ctx.config.manager, {
    env: ctx.env,
    managerUrl: ctx.options.managerUrl,
    onRetry: (n) =>
      ctx.io.err(`dskit: ${n.call}: ${n.reason}; retrying in ${(n.waitMs / 1000).toFixed(1)} s (attempt ${n.attempt + 1} of ${n.maxAttempts})`),
  });
}

/** Wraps a command so a manager error ends it with one line and the right exit code. */
export function managerCommand<O>(run: CommandRun<O>): CommandRun<O> {
  return async (ctx, opts, args) => {
    try {
      return await run(ctx, opts, args);
    } catch (err) {
      if (err instanceof ManagerSetupError) throw new UsageError(err.message);
      if (err instanceof ManagerApiError || err instanceof ManagerUnreachableError) throw new OperationError(err.message);
      throw err;
    }
  };
}

/** A policy's numeric id: as given, else the cached name, else looked up by exact name (and cached). */
export async function resolvePolicyId(client: ManagerClient, policy: PolicyConfig, cwd: string): Promise<number> {
  if (policy.id !== undefined) return policy.id;
  const name = policy.name!;
  const cached = cachedPolicyId(name, cwd);
  if (cached !== undefined) return cached;
  const id = await lookUpPolicyId(client, name);
  cachePolicyId(name, id, cwd);
  return id;
}

export async function lookUpPolicyId(client: ManagerClient, name: string): Promise<number> {
  const matches = await client.policiesNamed(name);
  if (matches.length === 0) {
    throw new OperationError(`no policy named "${name}" in the manager (names match exactly, case included); check Policies in the console or give policy.id`);
  }
  if (matches.length > 1) {
    throw new OperationError(`${matches.length} policies are named "${name}" (ids ${matches.map((p) => p.ID).join(', ')}); give policy.id instead`);
  }
  return matches[0].ID!;
}

/** `15m`, `90s`, `1h`, `1h30m`, `500ms` → milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const re = /(\d+)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) {
    throw new UsageError(`${flag}: got "${text}"; expected a duration like 15m, 90s, 1h30m`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.ceil(ms / 1000)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** A fixed-width text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
