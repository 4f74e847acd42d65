/**
 * `dskit rules promote --from FILES [--quiet-hours N] [--dry-run]`: for each rule `rules stage`
 * put in detect-only, count its IPS events in the exported files since it was staged, and promote
 * the ones that stayed quiet for N hours (default 24): their detect-only override on the policy is
 * removed (not replaced by `detectOnly: false`), so the rule runs as the policy and the rule itself
 * say, as if dskit had never touched it. The ones that fired stay in detect-only and are listed
 * with their hit counts; custom rules are never promoted for lack of hits (see lib/rules/decide.ts).
 *
 * Exit 1 when a rule needs a person (it fired, or the files end before its quiet window does);
 * rules that are merely still inside their window are not a problem.
 */
import { InputError, inputFiles } from '../../events/inputs';
import { isNotFound, shown, type IntrusionPreventionState, type ManagerClient } from '../../manager';
import {
  EventFileError,
  HitCounter,
  countHitsInFiles,
  decide,
  markPromoted,
  needsAttention,
  stagedRulesOf,
  type RuleDecision,
  type StagedRule,
} from '../../rules';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM, UsageError } from '../errors';
import { isoTime, problem } from '../output';
import { managerClient, managerCommand, policyLabel, table } from './manager-session';

export interface PromoteOptions {
  readonly from: string[];
  readonly quietHours?: string;
  readonly dryRun?: boolean;
}

const keyOf = (r: Pick<StagedRule, 'policyId' | 'ruleId'>) => `${r.policyId}/${r.ruleId}`;

interface PromoteData {
  readonly dryRun: boolean;
  readonly quietHours: number;
  readonly files?: number;
  readonly lines?: number;
  readonly events?: number;
  readonly newestEvent?: string | null;
  readonly decisions?: readonly object[];
  readonly policyIpsState?: Record<string, string>;
  readonly promotedEarlier: number;
}

/** The --json data, the same keys whether or not there was anything to judge. */
function promoteData(d: PromoteData) {
  return {
    dryRun: d.dryRun,
    quietHours: d.quietHours,
    files: d.files ?? null,
    lines: d.lines ?? null,
    events: d.events ?? null,
    newestEvent: d.newestEvent ?? null,
    decisions: d.decisions ?? [],
    policyIpsState: d.policyIpsState ?? {},
    promotedEarlier: d.promotedEarlier,
  };
}

function quietHoursOf(flag: string | undefined): number {
  const text = flag ?? '24';
  if (!/^\d{1,4}$/.test(text) || Number(text) > 8760) throw new UsageError(`--quiet-hours: got "${text}"; expected whole hours from 0 to 8760 (a year)`);
  return Number(text);
}

/** The IPS state computers on the policy get: `inherited` resolved through the parents. */
async function effectiveIpsState(client: ManagerClient, policyId: number): Promise<IntrusionPreventionState | 'unknown'> {
  let id: number | undefined = policyId;
  for (let depth = 0; id !== undefined && depth < 32; depth++) {
    const p = await client.findPolicy(id);
    if (!p) return 'unknown';
    const state = p.intrusionPrevention?.state ?? 'inherited';
    if (state !== 'inherited') return state;
    id = p.parentID;
  }
  return 'unknown';
}

const ACTION: Record<RuleDecision['verdict'], { done: string; dry: string }> = {
  quiet: { done: 'promoted', dry: 'would promote' },
  noisy: { done: 'kept (fired)', dry: 'would keep (fired)' },
  waiting: { done: 'waiting', dry: 'waiting' },
  unobserved: { done: 'kept (no data)', dry: 'would keep (no data)' },
  unassigned: { done: 'skipped', dry: 'skipped' },
  unprovable: { done: 'kept (custom)', dry: 'would keep (custom)' },
};

/** Records from before the type was recorded: ask the manager, so a custom rule is never promoted blind. */
async function withTypes(client: ManagerClient, rules: readonly StagedRule[]): Promise<StagedRule[]> {
  const out: StagedRule[] = [];
  for (const r of rules) {
    if (r.type !== undefined) {
      out.push(r);
      continue;
    }
    try {
      const type = (await client.describeIntrusionPreventionRule(r.ruleId)).type;
      out.push(type ? { ...r, type } : r);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      out.push(r);
    }
  }
  return out;
}

async function promote(ctx: CommandContext, opts: PromoteOptions): Promise<number> {
  const quietHours = quietHoursOf(opts.quietHours);
  const files = inputFiles(opts.from ?? [], ctx.cwd);
  const sandbox = ctx.config.name;
  const all = stagedRulesOf(sandbox, ctx.cwd);
  const pending = all.filter((r) => !r.promotedAt);
  if (pending.length === 0) {
    ctx.emit(promoteData({ dryRun: opts.dryRun === true, quietHours, promotedEarlier: all.length }), () => [
      all.length > 0
        ? `all ${all.length} staged rule(s) of ${sandbox} are already promoted; stage new ones with \`npx dskit rules stage\``
        : `no rules are staged for ${sandbox}; stage some first with \`npx dskit rules stage --released-since <date>\``,
    ]);
    return EXIT_OK;
  }

  const now = new Date();
  const counter = new HitCounter(
    pending.map((r) => ({ key: keyOf(r), identifier: r.identifier, sinceMs: Date.parse(r.stagedAt) })),
    now,
  );
  ctx.io.err(`rules promote: reading ${files.length} file(s) for hits of ${pending.length} staged rule(s)`);
  const summary = await countHitsInFiles(files, counter, (p) =>
    ctx.io.err(`rules promote: ${p.lines.toLocaleString('en-US')} lines read (file ${p.filesDone + 1}/${p.files}: ${p.file})`),
  );
  ctx.io.err(`rules promote: ${summary.lines} line(s), ${summary.events} event(s)${summary.newestEventMs !== null ? `, newest ${new Date(summary.newestEventMs).toISOString()}` : ''}`);

  const client = managerClient(ctx);
  const judged = await withTypes(client, pending);
  const policies = [...new Set(pending.map((r) => r.policyId))];
  const assignedOn = new Map<number, Set<number>>();
  const ipsState = new Map<number, string>();
  const policyNames = new Map<number, string>();
  for (const pid of policies) {
    const found = await client.findPolicy(pid);
    if (found?.name) policyNames.set(pid, found.name);
    assignedOn.set(pid, new Set(found ? ((await client.policyIntrusionPreventionAssignments(pid)).assignedRuleIDs ?? []) : []));
    ipsState.set(pid, found ? await effectiveIpsState(client, pid) : 'policy deleted');
  }

  const decisions = judged.map((rule) =>
    decide(
      { rule, hits: summary.byKey.get(keyOf(rule)), assigned: assignedOn.get(rule.policyId)!.has(rule.ruleId) },
      { quietHours, now, newestEventMs: summary.newestEventMs },
    ),
  );

  const quiet = decisions.filter((d) => d.verdict === 'quiet');
  if (!opts.dryRun) {
    for (const [i, d] of quiet.entries()) {
      // Remove the override dskit added; `detectOnly: false` would instead pin the rule to prevent
      // on this policy, whatever the rule's own setting later becomes.
      await client.resetPolicyRuleOverrides(d.rule.policyId, d.rule.ruleId);
      markPromoted(sandbox, d.rule, new Date().toISOString(), ctx.cwd);
      if (quiet.length > 10 && (i + 1) % 10 === 0) ctx.io.err(`rules promote: promoted ${i + 1}/${quiet.length}`);
    }
  }

  const detectPolicies = [...new Set(quiet.map((d) => d.rule.policyId))].filter((pid) => ipsState.get(pid) !== 'prevent');
  const count = (v: RuleDecision['verdict']) => decisions.filter((d) => d.verdict === v).length;
  for (const d of decisions.filter((x) => x.verdict === 'noisy' || x.verdict === 'unobserved' || x.verdict === 'unprovable')) {
    ctx.problem(problem('error', `rule ${d.rule.identifier} (id ${d.rule.ruleId}) on policy id ${d.rule.policyId}: ${ACTION[d.verdict].done}: ${d.reason}`));
  }
  ctx.emit(
    promoteData({
      dryRun: opts.dryRun === true,
      quietHours,
      files: files.length,
      lines: summary.lines,
      events: summary.events,
      newestEvent: isoTime(summary.newestEventMs),
      decisions: decisions.map((d) => ({
        ruleId: d.rule.ruleId,
        identifier: d.rule.identifier,
        name: d.rule.name ?? null,
        policyId: d.rule.policyId,
        policyName: policyNames.get(d.rule.policyId) ?? null,
        stagedAt: d.rule.stagedAt,
        verdict: d.verdict,
        action: ACTION[d.verdict][opts.dryRun ? 'dry' : 'done'],
        hits: d.hits,
        hosts: [...(summary.byKey.get(keyOf(d.rule))?.hosts ?? [])],
        reason: d.reason,
      })),
      policyIpsState: Object.fromEntries(ipsState),
      promotedEarlier: all.length - pending.length,
    }),
    () => [
      ...table(
        ['RULE', 'ID', 'POLICY', 'HITS', 'ACTION', 'WHY'],
        decisions.map((d) => [
          shown(d.rule.identifier, 20),
          String(d.rule.ruleId),
          policyLabel(d.rule.policyId, policyNames.get(d.rule.policyId)),
          String(d.hits),
          ACTION[d.verdict][opts.dryRun ? 'dry' : 'done'],
          d.reason,
        ]),
      ),
      `${opts.dryRun ? 'would promote' : 'promoted'} ${quiet.length}; kept ${count('noisy')} that fired, ${count('unobserved')} without enough data; ${count('waiting')} still in their ${quietHours} h window` +
        (count('unassigned') ? `; ${count('unassigned')} no longer assigned` : '') +
        (count('unprovable') ? `; ${count('unprovable')} custom rule(s) kept: their events carry signature id 10, so no hits proves nothing — promote them by hand` : ''),
      ...detectPolicies.map(
        (pid) =>
          `note: policy ${policyLabel(pid, policyNames.get(pid))} runs intrusion prevention in "${ipsState.get(pid)}" mode, so promoted rules still only detect there; ` +
          'set the policy (or the production policy you roll them to) to prevent for them to block',
      ),
      ...(opts.dryRun ? ['dry run: nothing changed'] : []),
    ],
  );
  return needsAttention(decisions) ? EXIT_PROBLEM : EXIT_OK;
}

export const run: CommandRun<PromoteOptions> = managerCommand(async (ctx, opts) => {
  try {
    return await promote(ctx, opts);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    if (err instanceof EventFileError) throw new UsageError(err.message);
    throw err;
  }
});
