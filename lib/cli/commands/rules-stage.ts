/**
 * `dskit rules stage [--released-since DATE | --rule-ids ID,...] [--policy-id N] [--dry-run]`:
 * put IPS rules the policy does not have yet on it in detect-only mode, and record each one so
 * `rules promote` can judge it and `teardown` can take it off again. A second run stages nothing.
 *
 * Each rule gets its detect-only override before it is assigned, so there is never a moment it
 * runs in prevent mode on the policy.
 */
import { cachedPolicyId, recordChange } from '../../context';
import { dateOnOrAfter, stringEquals, type IntrusionPreventionRule, type ManagerClient } from '../../manager';
import {
  IPS_RULE_DEPENDENCY,
  IPS_RULE_STAGED,
  RolloutInputError,
  parseReleasedSince,
  parseRuleIdentifiers,
  planStaging,
  recordStagedRule,
  ruleChange,
  stagedRulesOf,
} from '../../rules';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, OperationError, UsageError } from '../errors';
import { managerClient, managerCommand, table } from './manager-session';
import { sandboxPolicyName } from './policy-ensure';

export interface StageOptions {
  readonly releasedSince?: string;
  readonly ruleIds?: string;
  readonly policyId?: string;
  readonly dryRun?: boolean;
}

export interface TargetPolicy {
  readonly id: number;
  readonly name: string;
  readonly how: string;
}

export function policyIdFlag(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(flag)) throw new UsageError(`--policy-id: got "${flag}"; expected a policy's numeric id (1 or more)`);
  return Number(flag);
}

/**
 * `--policy-id` as given, else the sandbox policy `policy ensure` made. Never the config's
 * `policy` on its own: that is usually a shared policy (e.g. "Linux Server") whose every
 * computer would get the staged rules, so using one must be asked for by id.
 */
export async function targetPolicy(ctx: CommandContext, client: ManagerClient, flag: number | undefined): Promise<TargetPolicy> {
  let id: number;
  let how: string;
  if (flag !== undefined) {
    id = flag;
    how = '--policy-id';
  } else {
    const name = sandboxPolicyName(ctx.config.name);
    const recorded = cachedPolicyId(name, ctx.cwd);
    if (recorded === undefined) {
      throw new UsageError(
        `no sandbox policy "${name}" recorded in dskit.context.json; run \`npx dskit policy ensure --parent <policy>\` first, ` +
          'or pass --policy-id N to stage on another policy (every computer on it gets the rules)',
      );
    }
    id = recorded;
    how = `sandbox policy ${name}`;
  }
  const policy = await client.findPolicy(id);
  if (!policy) {
    throw new OperationError(
      flag !== undefined
        ? `--policy-id: no policy with id ${id} in the manager; check Policies in the console`
        : `the sandbox policy recorded in dskit.context.json (id ${id}) no longer exists in the manager; run \`npx dskit policy ensure --parent <policy>\` again`,
    );
  }
  return { id, name: policy.name ?? `policy ${id}`, how };
}

/** What to stage, from the flags, checked before any call. */
type Selector = { readonly identifiers: string[] } | { readonly sinceMs: number };

function selectorOf(opts: StageOptions): Selector {
  if ((opts.releasedSince === undefined) === (opts.ruleIds === undefined)) {
    throw new UsageError('rules stage: give exactly one of --released-since DATE (e.g. 2025-06-01 or 30d) or --rule-ids ID,... (e.g. 1008610,1011935)');
  }
  return opts.ruleIds !== undefined ? { identifiers: parseRuleIdentifiers(opts.ruleIds) } : { sinceMs: parseReleasedSince(opts.releasedSince!) };
}

async function candidates(client: ManagerClient, selector: Selector, ctx: CommandContext): Promise<{ rules: IntrusionPreventionRule[]; asked: string }> {
  if ('identifiers' in selector) {
    const identifiers = selector.identifiers;
    const rules: IntrusionPreventionRule[] = [];
    const missing: string[] = [];
    for (const [i, identifier] of identifiers.entries()) {
      const found = await client.searchIntrusionPreventionRules([stringEquals('identifier', identifier)]);
      if (found.length === 0) missing.push(identifier);
      rules.push(...found);
      if (identifiers.length > 10 && (i + 1) % 10 === 0) ctx.io.err(`rules stage: looked up ${i + 1}/${identifiers.length} rule identifiers`);
    }
    if (missing.length > 0) {
      throw new OperationError(
        `--rule-ids: no IPS rule with identifier ${missing.join(', ')} in the manager; check the identifiers, or run a security update so the manager has the newest rules`,
      );
    }
    return { rules, asked: `rule identifiers ${identifiers.join(', ')}` };
  }
  const rules = await client.searchIntrusionPreventionRules([dateOnOrAfter('originalIssue', selector.sinceMs)]);
  return { rules, asked: `rules released since ${new Date(selector.sinceMs).toISOString().slice(0, 10)}` };
}

function releaseDay(r: IntrusionPreventionRule): string {
  return r.originalIssue !== undefined ? new Date(r.originalIssue).toISOString().slice(0, 10) : '-';
}

function ruleRow(r: IntrusionPreventionRule, status: string): string[] {
  return [r.identifier ?? '-', String(r.ID), r.severity ?? '-', releaseDay(r), status, r.name ?? ''];
}

async function stage(ctx: CommandContext, opts: StageOptions): Promise<number> {
  const selector = selectorOf(opts);
  const policyFlag = policyIdFlag(opts.policyId);
  const sandbox = ctx.config.name;
  const client = managerClient(ctx);
  const policy = await targetPolicy(ctx, client, policyFlag);
  if (opts.policyId !== undefined && policy.name !== sandboxPolicyName(sandbox)) {
    ctx.io.err(`rules stage: policy "${policy.name}" is not the sandbox policy: every computer on it gets the staged rules in detect-only`);
  }

  const { rules, asked } = await candidates(client, selector, ctx);
  const assigned = (await client.policyIntrusionPreventionAssignments(policy.id)).assignedRuleIDs ?? [];
  const plan = planStaging(rules, assigned);
  ctx.io.err(`rules stage: ${asked}: ${rules.length} found, ${plan.alreadyAssigned.length} already on policy "${policy.name}" (id ${policy.id}), ${plan.toStage.length} to stage`);

  const staged: IntrusionPreventionRule[] = [];
  let dependencies: number[] = [];
  if (!opts.dryRun && plan.toStage.length > 0) {
    const known = new Set(stagedRulesOf(sandbox, ctx.cwd).filter((s) => s.policyId === policy.id).map((s) => s.ruleId));
    for (const rule of plan.toStage) {
      await client.setPolicyRuleDetectOnly(policy.id, rule.ID!, true);
      const at = new Date().toISOString();
      // Recorded before the assignment: a crash in between still leaves teardown the override to drop.
      if (!known.has(rule.ID!)) {
        recordChange(sandbox, ruleChange(IPS_RULE_STAGED, rule.ID!, rule.identifier, policy.id, at), ctx.cwd);
        recordStagedRule(sandbox, { ruleId: rule.ID!, identifier: rule.identifier ?? '', name: rule.name, policyId: policy.id, stagedAt: at }, ctx.cwd);
      }
      staged.push(rule);
      if (plan.toStage.length > 10 && staged.length % 10 === 0) ctx.io.err(`rules stage: detect-only set on ${staged.length}/${plan.toStage.length}`);
    }
    const after = await client.assignIntrusionPreventionRules(
      policy.id,
      staged.map((r) => r.ID!),
    );
    const expected = new Set([...assigned, ...staged.map((r) => r.ID!)]);
    dependencies = (after.assignedRuleIDs ?? []).filter((id) => !expected.has(id));
    const at = new Date().toISOString();
    for (const id of dependencies) recordChange(sandbox, ruleChange(IPS_RULE_DEPENDENCY, id, undefined, policy.id, at), ctx.cwd);
  }

  const shown = opts.dryRun ? plan.toStage : staged;
  const status = opts.dryRun ? 'would stage (detect-only)' : 'staged (detect-only)';
  ctx.emit(
    {
      dryRun: opts.dryRun === true,
      policy: { id: policy.id, name: policy.name },
      asked,
      staged: shown.map((r) => ({ ruleId: r.ID, identifier: r.identifier, name: r.name, severity: r.severity, originalIssue: r.originalIssue })),
      alreadyAssigned: plan.alreadyAssigned.map((r) => ({ ruleId: r.ID, identifier: r.identifier })),
      dependenciesAssigned: dependencies,
    },
    () => [
      ...(shown.length > 0
        ? table(['RULE', 'ID', 'SEVERITY', 'RELEASED', 'STATUS', 'NAME'], shown.map((r) => ruleRow(r, status)))
        : []),
      shown.length === 0
        ? `nothing new to stage on "${policy.name}" (id ${policy.id}): ${plan.alreadyAssigned.length} of the ${asked} already assigned`
        : `${opts.dryRun ? 'would stage' : 'staged'} ${shown.length} rule(s) on "${policy.name}" (id ${policy.id}) via ${policy.how}` +
          (plan.alreadyAssigned.length ? `; ${plan.alreadyAssigned.length} already assigned, left alone` : ''),
      ...(dependencies.length > 0 ? [`the manager also assigned rule id(s) ${dependencies.join(', ')} they depend on (teardown removes them too)`] : []),
      ...(shown.length > 0 && !opts.dryRun ? ['next: let them run, then `npx dskit rules promote --from <exported events>` promotes the ones that stayed quiet'] : []),
      ...(opts.dryRun && shown.length > 0 ? ['dry run: nothing changed'] : []),
    ],
  );
  return EXIT_OK;
}

export const run: CommandRun<StageOptions> = managerCommand(async (ctx, opts) => {
  try {
    return await stage(ctx, opts);
  } catch (err) {
    if (err instanceof RolloutInputError) throw new UsageError(err.message);
    throw err;
  }
});
