/**
 * `dskit verify [--cloud C] [--wait 15m]`: the manager has exactly the sandbox's computers
 * (`<sandbox>-<cloud>-<vm>-<n>`), each online and on its expected policy. Exit 1 on any
 * difference; with --wait, keep checking (progress on stderr) until clean or out of time.
 */
import { expectedComputers, type Cloud } from '../../config';
import { compareComputers, type ComputerCheck, type ExpectedEntry, type ManagerClient } from '../../manager';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM } from '../errors';
import { formatDuration, managerClient, managerCommand, parseDuration, resolvePolicyId, table } from './manager-session';

/** Poll often enough to notice activations, rarely enough to stay far from the rate limit. */
export function pollIntervalMs(waitMs: number): number {
  return Math.min(15_000, Math.max(1_000, Math.round(waitMs / 30)));
}

export async function expectedEntries(ctx: CommandContext, client: ManagerClient, clouds: readonly Cloud[]): Promise<ExpectedEntry[]> {
  // One resolution per policy, not per computer: a name reads dskit.context.json (or asks the manager).
  const resolved = new Map<string, number>();
  const out: ExpectedEntry[] = [];
  for (const e of expectedComputers(ctx.config, clouds)) {
    const key = e.policy.id !== undefined ? `id ${e.policy.id}` : `name ${e.policy.name}`;
    if (!resolved.has(key)) resolved.set(key, await resolvePolicyId(client, e.policy, ctx.cwd));
    out.push({ displayName: e.displayName, policyId: resolved.get(key)! });
  }
  return out;
}

/** Every computer whose name starts with one of the sandbox's per-cloud prefixes. */
export async function sandboxLookalikes(client: ManagerClient, sandbox: string, clouds: readonly Cloud[]) {
  const found = [];
  for (const cloud of clouds) found.push(...(await client.computersWithDisplayNamePrefix(`${sandbox}-${cloud}-`)));
  return found;
}

function describe(row: ComputerCheck): string {
  if (row.findings.length === 0) return 'ok';
  return row.findings
    .map((f) => {
      switch (f) {
        case 'offline':
          return `offline (agent ${row.agentStatus})`;
        case 'wrong-policy':
          return `wrong policy (expected ${row.expectedPolicyId}, found ${row.foundPolicyId ?? 'none'})`;
        case 'unexpected':
          return 'unexpected (not in sandbox.yaml)';
        case 'duplicate':
          return 'duplicate display name';
        default:
          return f;
      }
    })
    .join('; ');
}

function summary(rows: readonly ComputerCheck[]): string {
  const bad = rows.filter((r) => r.findings.length > 0);
  const counts = new Map<string, number>();
  for (const r of bad) for (const f of r.findings) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${n} ${f}`).join(', ');
}

export const run: CommandRun<{ cloud?: string; wait?: string }> = managerCommand(async (ctx, opts) => {
  const clouds = ctx.clouds(opts.cloud);
  const waitMs = opts.wait === undefined ? 0 : parseDuration('--wait', opts.wait);
  const client = managerClient(ctx);
  const expected = await expectedEntries(ctx, client, clouds);
  const deadline = Date.now() + waitMs;
  const interval = pollIntervalMs(waitMs);

  let rows: ComputerCheck[];
  for (let round = 1; ; round++) {
    rows = compareComputers(expected, await sandboxLookalikes(client, ctx.config.name, clouds));
    const clean = rows.every((r) => r.findings.length === 0);
    const left = deadline - Date.now();
    if (clean || left <= 0) break;
    const pause = Math.min(interval, left);
    ctx.io.err(`verify: check ${round}: ${summary(rows)}; checking again in ${formatDuration(pause)} (${formatDuration(left)} left)`);
    await new Promise((r) => setTimeout(r, pause));
  }

  const ok = rows.every((r) => r.findings.length === 0);
  ctx.emit(
    {
      ok,
      sandbox: ctx.config.name,
      clouds,
      computers: rows.map((r) => ({ ...r, status: r.findings.length === 0 ? 'ok' : r.findings.join(',') })),
    },
    () => [
      ...table(
        ['COMPUTER', 'ID', 'POLICY', 'AGENT', 'STATUS'],
        rows.map((r) => [
          r.displayName,
          r.computerId === undefined ? '-' : String(r.computerId),
          r.foundPolicyId === undefined ? (r.expectedPolicyId === undefined ? '-' : `(${r.expectedPolicyId})`) : String(r.foundPolicyId),
          r.agentStatus ?? '-',
          describe(r),
        ]),
      ),
      ok
        ? `verify: all ${expected.length} computers of ${ctx.config.name} are present, online and on their policies`
        : `verify: ${summary(rows)}${waitMs > 0 ? ` after waiting ${formatDuration(waitMs)}` : ''}; see the rows above`,
    ],
  );
  return ok ? EXIT_OK : EXIT_PROBLEM;
});
