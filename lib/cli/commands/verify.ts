/**
 * `dskit verify [--cloud C] [--wait 15m]`: the manager has exactly the sandbox's computers
 * (`<sandbox>-<cloud>-<vm>-<n>`), each online and on its expected policy. Exit 1 on any
 * difference; with --wait, keep checking (progress on stderr) until clean or out of time.
 */
import { expectedComputers, type Cloud } from '../../config';
import { compareComputers, isTransientFailure, shown, visionOneLookalikes, type ComputerCheck, type ExpectedEntry, type ManagerClient } from '../../manager';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM, OperationError } from '../errors';
import { problem } from '../output';
import { formatDuration, managerClient, managerCommand, parseDuration, policyLabel, resolvePolicyId, table } from './manager-session';
import { checkSandboxTasks, type TaskCheck } from './vision-one';

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

/**
 * The agent's status as the manager reports it (`computerStatus.agentStatus`: active, warning,
 * error, inactive, not-supported — or whatever a newer manager says), with its status messages.
 * Only `active` passes; a `warning` agent is online but not clean, so it is not called offline.
 */
function agentState(row: ComputerCheck, messages: ReadonlyMap<number, readonly string[]>): string {
  const status = shown(String(row.agentStatus ?? 'unknown'), 40);
  const said = row.computerId !== undefined ? (messages.get(row.computerId) ?? []) : [];
  return `agent ${status}${said.length ? ` (${said.slice(0, 3).map((m) => shown(m, 80)).join('; ')})` : ''}, not active`;
}

/** A finding's name for people: the agent check is about `active`, not about being online. */
const FINDING_LABEL: Record<string, string> = { offline: 'not active' };

/** Policy id → name, asked once per id (a name is only a label: a failed lookup leaves it out). */
async function policyNames(client: ManagerClient, ids: Iterable<number | undefined>, known: Map<number, string | undefined>): Promise<void> {
  for (const id of ids) {
    if (id === undefined || id <= 0 || known.has(id)) continue;
    try {
      known.set(id, (await client.findPolicy(id))?.name);
    } catch (err) {
      if (!isTransientFailure(err)) throw err;
    }
  }
}

/** `ds-eval-aws-web-2 (missing), ds-eval-gcp-web-1 (agent inactive)`, the first few of them. */
export function stillWaiting(rows: readonly ComputerCheck[], max = 3): string {
  const bad = rows.filter((r) => r.findings.length > 0);
  const what = (r: ComputerCheck) =>
    r.findings.includes('missing') ? 'missing' : r.findings.includes('offline') ? `agent ${shown(String(r.agentStatus ?? 'unknown'), 20)}` : r.findings.map((f) => FINDING_LABEL[f] ?? f).join(', ');
  const named = bad.slice(0, max).map((r) => `${shown(r.displayName, 60)} (${what(r)})`);
  return named.join(', ') + (bad.length > max ? ` and ${bad.length - max} more` : '');
}

function describe(row: ComputerCheck, messages: ReadonlyMap<number, readonly string[]>, names: ReadonlyMap<number, string | undefined>): string {
  if (row.findings.length === 0) return 'ok';
  return row.findings
    .map((f) => {
      switch (f) {
        case 'offline':
          return agentState(row, messages);
        case 'wrong-policy':
          return `wrong policy (expected ${policyLabel(row.expectedPolicyId, names.get(row.expectedPolicyId ?? 0))}, found ${row.foundPolicyId === undefined ? 'none' : policyLabel(row.foundPolicyId, names.get(row.foundPolicyId))})`;
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
  for (const r of bad) for (const f of r.findings) counts.set(FINDING_LABEL[f] ?? f, (counts.get(FINDING_LABEL[f] ?? f) ?? 0) + 1);
  return [...counts].map(([f, n]) => `${n} ${f}`).join(', ');
}

export const run: CommandRun<{ cloud?: string; wait?: string }> = managerCommand(async (ctx, opts) => {
  const clouds = ctx.clouds(opts.cloud);
  const waitMs = opts.wait === undefined ? 0 : parseDuration('--wait', opts.wait);
  // With --wait the rounds do the retrying (each with a progress line); a call retries 5xx only once.
  const client = managerClient(ctx, waitMs > 0 ? { retry: { maxAttempts: 2 } } : {});
  let expected: ExpectedEntry[] | undefined;
  const deadline = Date.now() + waitMs;
  const interval = pollIntervalMs(waitMs);

  // With --wait, a round that fails because the manager is down, slow or busy is retried like
  // one that found a difference, until the deadline; each round's calls end by the deadline.
  // Without it, one round with the client's own retries. 401/403/404 end it at once.
  let rows: ComputerCheck[] | undefined;
  const messages = new Map<number, readonly string[]>();
  const names = new Map<number, string | undefined>();
  const started = Date.now();
  // Each round gets at least this long; a round that cannot have it is not started.
  const reserve = Math.min(5_000, Math.max(500, waitMs / 10));
  for (let round = 1; ; round++) {
    let trouble: string;
    let failure: Error | undefined;
    try {
      const roundClient = waitMs > 0 ? client.withDeadline(deadline) : client;
      expected ??= await expectedEntries(ctx, roundClient, clouds);
      // vision-one: agents that registered themselves are known by their host names.
      const found =
        ctx.config.manager.type === 'vision-one'
          ? await visionOneLookalikes(roundClient, ctx.config.name, clouds)
          : await sandboxLookalikes(roundClient, ctx.config.name, clouds);
      for (const c of found) messages.set(c.ID, c.computerStatus?.agentStatusMessages ?? []);
      rows = compareComputers(expected, found);
      await policyNames(roundClient, rows.flatMap((r) => [r.expectedPolicyId, r.foundPolicyId]), names);
      if (rows.every((r) => r.findings.length === 0)) break;
      trouble = `${summary(rows)}: ${stillWaiting(rows)}`;
    } catch (err) {
      if (waitMs === 0 || !isTransientFailure(err)) throw err;
      failure = err as Error;
      trouble = `failed: ${failure.message}`;
    }
    const pause = Math.min(interval, deadline - Date.now() - reserve);
    if (pause <= 0) {
      if (failure) throw new OperationError(`verify: gave up after waiting ${formatDuration(Date.now() - started)}: ${failure.message}`);
      break;
    }
    // One line rewritten in place on a terminal, a line per check in a log.
    ctx.status(`verify: check ${round}: ${trouble}; again in ${formatDuration(pause)}, ${formatDuration(deadline - Date.now())} left`);
    await new Promise((r) => setTimeout(r, pause));
  }
  if (!rows || !expected) throw new OperationError(`verify: no check finished within ${formatDuration(waitMs)}`);
  const expectedCount = expected.length;
  const waited = Date.now() - started;

  // vision-one: the event-based tasks that give the computers their policy.
  const tasks: TaskCheck[] = ctx.config.manager.type === 'vision-one' ? await checkSandboxTasks(ctx, client) : [];
  const ok = rows.every((r) => r.findings.length === 0) && tasks.every((t) => t.problems.length === 0);
  const final = rows;
  for (const r of final.filter((x) => x.findings.length > 0)) ctx.problem(problem('error', `${r.displayName}: ${describe(r, messages, names)}`));
  for (const t of tasks.filter((x) => x.problems.length > 0)) ctx.problem(problem('error', `event-based task ${t.name}: ${t.problems.join('; ')}`));
  const paint = ctx.paint;
  ctx.emit(
    {
      sandbox: ctx.config.name,
      clouds,
      waitedSeconds: waitMs > 0 ? Math.round(waited / 1000) : null,
      // Every key on every row; null where the manager has no such computer (missing) or no value.
      computers: rows.map((r) => ({
        displayName: r.displayName,
        computerId: r.computerId ?? null,
        expectedPolicyId: r.expectedPolicyId ?? null,
        expectedPolicyName: r.expectedPolicyId === undefined ? null : (names.get(r.expectedPolicyId) ?? null),
        foundPolicyId: r.foundPolicyId ?? null,
        foundPolicyName: r.foundPolicyId === undefined ? null : (names.get(r.foundPolicyId) ?? null),
        agentStatus: r.agentStatus ?? null,
        agentStatusMessages: r.computerId !== undefined ? (messages.get(r.computerId) ?? []) : null,
        findings: r.findings,
        // The agent check is about `active`: a `warning` agent is not "offline" (agentStatus has the real one).
        status: r.findings.length === 0 ? 'ok' : r.findings.map((f) => (f === 'offline' ? 'not-active' : f)).join(','),
      })),
      // vision-one only; null where the manager has no event-based tasks to check.
      eventBasedTasks: ctx.config.manager.type === 'vision-one' ? tasks : null,
    },
    () => [
      ...table(
        ['COMPUTER', 'ID', 'POLICY', 'AGENT', 'STATUS'],
        final.map((r) => [
          shown(r.displayName, 80),
          r.computerId === undefined ? '-' : String(r.computerId),
          r.foundPolicyId === undefined
            ? r.expectedPolicyId === undefined
              ? '-'
              : `(${policyLabel(r.expectedPolicyId, names.get(r.expectedPolicyId))})`
            : policyLabel(r.foundPolicyId, names.get(r.foundPolicyId)),
          shown(String(r.agentStatus ?? '-'), 40),
          r.findings.length === 0 ? paint('pass', 'ok') : paint('fail', describe(r, messages, names)),
        ]),
      ),
      ...tasks.map((t) => `event-based task ${shown(t.name)}${t.id !== null ? ` (id ${t.id})` : ''}: ${t.problems.length === 0 ? 'ok' : t.problems.map((p) => shown(p, 200)).join('; ')}`),
      ok
        ? `verify: all ${expectedCount} computers of ${ctx.config.name} are present, their agents active and on their policies`
        : `verify: ${[summary(final), ...(tasks.some((t) => t.problems.length > 0) ? ['event-based tasks differ'] : [])].filter(Boolean).join(', ')}${waitMs > 0 ? ` after waiting ${formatDuration(waited)}` : ''}; see the rows above`,
    ],
  );
  return ok ? EXIT_OK : EXIT_PROBLEM;
});
