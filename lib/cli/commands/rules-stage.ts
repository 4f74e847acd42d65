/**
 * `dskit rules stage [--released-since DATE | --rule-ids ID,...] [--policy-id N] [--dry-run]`:
 * put IPS rules the policy does not have yet on it in detect-only mode, and record each one so
 * `rules promote` can judge it and `teardown` can take it off again. A second run stages nothing.
 *
 * Each rule gets its detect-only override before it is assigned, so there is never a moment it
 * runs in prevent mode on the policy — and so does every rule the manager assigns along with it
 * (its `dependsOnRuleIDs`, followed through). Rules for a platform the sandbox has no VM of are
 * left out of a release-date selection (see lib/rules/platforms.ts).
 */
import { CLOUDS, vmsOf } from '../../config';
import { cachedPolicyId, changesOf, forgetChange, recordChange } from '../../context';
import { dateOnOrAfter, shown, stringEquals, type IntrusionPreventionRuleRecord as IntrusionPreventionRule, type ManagerClient } from '../../manager';
import {
  IPS_RULE_STAGED,
  RolloutInputError,
  parseReleasedSince,
  parseRuleIdentifiers,
  planStaging,
  platformOfOs,
  policyOfChange,
  recordStagedRule,
  rulePlatform,
  ruleChange,
  stagedRulesOf,
  type RulePlatform,
} from '../../rules';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, OperationError, UsageError } from '../errors';
import { isoTime, problem } from '../output';
import { managerClient, managerCommand, table } from './manager-session';
import { sandboxPolicyName } from './policy-ensure';

export interface StageOptions {
  readonly releasedSince?: string;
  readonly ruleIds?: string;
  readonly policyId?: string;
  readonly dryRun?: boolean;
  /** Also stage rules whose names say they are for a platform the sandbox has no VM of. */
  readonly allPlatforms?: boolean;
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
  return [shown(r.identifier ?? '-', 20), String(r.ID), shown(r.severity ?? '-', 10), releaseDay(r), status, shown(r.name ?? '', 120)];
}

/** The platforms the sandbox's VMs run (every configured cloud: the sandbox policy serves them all). */
function sandboxPlatforms(ctx: CommandContext): Set<RulePlatform> {
  return new Set(CLOUDS.flatMap((c) => vmsOf(ctx.config, c)).map((vm) => platformOfOs(vm.os)));
}

/** What the policy's own overrides of a rule hold besides its id (a rule dskit adds should have none). */
function overriddenFields(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => k !== 'ID' && o[k] !== undefined);
}

async function stage(ctx: CommandContext, opts: StageOptions): Promise<number> {
  const selector = selectorOf(opts);
  const policyFlag = policyIdFlag(opts.policyId);
  const sandbox = ctx.config.name;
  const client = managerClient(ctx);
  const policy = await targetPolicy(ctx, client, policyFlag);
  if (opts.policyId !== undefined && policy.name !== sandboxPolicyName(sandbox)) {
    ctx.io.err(`rules stage: policy "${shown(policy.name)}" is not the sandbox policy: every computer on it gets the staged rules in detect-only`);
  }

  const { rules: found, asked } = await candidates(client, selector, ctx);

  // Rules for a platform the sandbox has no VM of protect nothing there: left out of a
  // release-date selection (asked for by identifier, they are staged with a warning).
  const platforms = sandboxPlatforms(ctx);
  const skippedForPlatform: { rule: IntrusionPreventionRule; platform: RulePlatform }[] = [];
  let rules = found;
  if (platforms.size < 2 && !opts.allPlatforms) {
    const appTypes = found.some((r) => (r.applicationTypeID ?? 0) > 0) ? new Map((await client.applicationTypes()).map((t) => [t.ID, t.name])) : new Map();
    rules = found.filter((r) => {
      const platform = rulePlatform(r.name, appTypes.get(r.applicationTypeID ?? 0));
      if (platform === undefined || platforms.has(platform)) return true;
      if ('identifiers' in selector) {
        ctx.io.err(`rules stage: rule ${shown(r.identifier ?? String(r.ID))} is for ${platform}, and the sandbox has no ${platform} VM; staged anyway (you asked for it)`);
        return true;
      }
      skippedForPlatform.push({ rule: r, platform });
      return false;
    });
  }

  const assigned = (await client.policyIntrusionPreventionAssignments(policy.id)).assignedRuleIDs ?? [];
  const plan = planStaging(rules, assigned);

  // The manager assigns a rule's dependencies with it. Each one not on the policy yet is staged
  // too, detect-only first, so nothing the stage causes ever runs in prevent mode.
  const assignedSet = new Set(assigned);
  const dependencies = new Map<number, { rule: IntrusionPreventionRule; of: Set<number> }>();
  const toStageIds = new Set(plan.toStage.map((r) => r.ID));
  const queue: { id: number; of: number }[] = plan.toStage.flatMap((r) => (r.dependsOnRuleIDs ?? []).map((id) => ({ id, of: r.ID })));
  while (queue.length > 0) {
    const { id, of } = queue.shift()!;
    if (assignedSet.has(id) || toStageIds.has(id)) continue;
    const known = dependencies.get(id);
    if (known) {
      known.of.add(of);
      continue;
    }
    const rule = await client.describeIntrusionPreventionRule(id);
    dependencies.set(id, { rule, of: new Set([of]) });
    for (const next of rule.dependsOnRuleIDs ?? []) queue.push({ id: next, of });
  }
  const adding = [...dependencies.values()].map((d) => d.rule).concat(plan.toStage);
  ctx.io.err(
    `rules stage: ${asked}: ${found.length} found, ${plan.alreadyAssigned.length} already on policy "${shown(policy.name)}" (id ${policy.id}), ` +
      `${plan.toStage.length} to stage${dependencies.size ? ` and ${dependencies.size} rule(s) they depend on` : ''}` +
      (skippedForPlatform.length ? `; ${skippedForPlatform.length} left out for platforms the sandbox lacks` : ''),
  );

  const staged: IntrusionPreventionRule[] = [];
  const surprises: number[] = [];
  if (!opts.dryRun && adding.length > 0) {
    // A rule that already has the policy's own overrides would lose them when promote or teardown
    // drops the override: refuse, before anything changes, with the reason.
    const refused: string[] = [];
    for (const r of adding) {
      const fields = overriddenFields(await client.policyRuleOverrides(policy.id, r.ID));
      if (fields.length > 0) refused.push(`${shown(r.identifier ?? String(r.ID))} (id ${r.ID}) overrides ${fields.join(', ')}`);
    }
    if (refused.length > 0) {
      throw new OperationError(
        `rules stage: policy "${shown(policy.name)}" already has its own settings for rule(s) ${refused.join('; ')}; ` +
          'dskit stages only rules it can later hand back untouched — remove those overrides in the console (Policy > Intrusion Prevention > rule Properties), or leave these rules out',
      );
    }
    const known = new Set(stagedRulesOf(sandbox, ctx.cwd).filter((s) => s.policyId === policy.id).map((s) => s.ruleId));
    // Dependencies first: recorded before the rules that need them, teardown (newest first) unassigns them last.
    for (const rule of adding) {
      const dependencyOf = dependencies.has(rule.ID) ? [...dependencies.get(rule.ID)!.of].sort((a, b) => a - b) : undefined;
      await client.setPolicyRuleDetectOnly(policy.id, rule.ID, true);
      const at = new Date().toISOString();
      // Recorded before the assignment: a crash in between still leaves teardown the override to drop.
      if (!known.has(rule.ID)) {
        recordChange(sandbox, ruleChange(IPS_RULE_STAGED, rule.ID, rule.identifier, policy.id, at, dependencyOf), ctx.cwd);
        recordStagedRule(
          sandbox,
          {
            ruleId: rule.ID,
            identifier: rule.identifier ?? '',
            name: rule.name,
            policyId: policy.id,
            stagedAt: at,
            ...(rule.type ? { type: rule.type } : {}),
            ...(dependencyOf ? { dependencyOf } : {}),
          },
          ctx.cwd,
        );
      }
      staged.push(rule);
      if (adding.length > 10 && staged.length % 10 === 0) ctx.io.err(`rules stage: detect-only set on ${staged.length}/${adding.length}`);
    }
    const after = await client.assignIntrusionPreventionRules(
      policy.id,
      staged.map((r) => r.ID),
    );
    // Anything else the manager assigned (a dependency its rule did not list): detect-only at once, recorded, said.
    const expected = new Set([...assigned, ...staged.map((r) => r.ID)]);
    for (const id of after.assignedRuleIDs ?? []) {
      if (expected.has(id)) continue;
      await client.setPolicyRuleDetectOnly(policy.id, id, true);
      const rule = await client.describeIntrusionPreventionRule(id);
      const at = new Date().toISOString();
      recordChange(sandbox, ruleChange(IPS_RULE_STAGED, id, rule.identifier, policy.id, at, staged.map((r) => r.ID)), ctx.cwd);
      recordStagedRule(sandbox, { ruleId: id, identifier: rule.identifier ?? '', name: rule.name, policyId: policy.id, stagedAt: at, ...(rule.type ? { type: rule.type } : {}) }, ctx.cwd);
      surprises.push(id);
    }
    // Keep dependencies before their dependents in the records (teardown undoes newest first, and
    // the manager refuses to unassign a rule an assigned rule depends on): move this run's own
    // rules after the surprises.
    if (surprises.length > 0) {
      const mine = new Set(plan.toStage.filter((r) => !known.has(r.ID)).map((r) => r.ID));
      for (const c of changesOf(sandbox, ctx.cwd)) {
        if (c.kind !== IPS_RULE_STAGED || !mine.has(c.id) || policyOfChange(c) !== policy.id) continue;
        forgetChange(sandbox, c, ctx.cwd);
        recordChange(sandbox, c, ctx.cwd);
      }
    }
  }

  const shownRules = opts.dryRun ? adding : staged;
  const status = (r: IntrusionPreventionRule) =>
    `${opts.dryRun ? 'would stage' : 'staged'} (detect-only)${dependencies.has(r.ID) ? ', dependency' : ''}${r.type === 'custom' ? ', custom' : ''}`;
  const customs = shownRules.filter((r) => r.type === 'custom');
  if (surprises.length > 0) {
    ctx.problem(problem('warning', `the manager also assigned rule id(s) ${surprises.join(', ')} that no rule listed as a dependency; dskit set them detect-only right after`));
  }
  if (customs.length > 0) {
    ctx.problem(
      problem('warning', `${customs.length} custom rule(s) (${customs.map((r) => shown(r.identifier ?? String(r.ID))).join(', ')}) log signature id 10, so rules promote cannot judge them`, {
        fix: 'promote them by hand',
      }),
    );
  }
  ctx.emit(
    {
      dryRun: opts.dryRun === true,
      policy: { id: policy.id, name: policy.name },
      asked,
      staged: shownRules.map((r) => ({
        ruleId: r.ID,
        identifier: r.identifier ?? null,
        name: r.name ?? null,
        severity: r.severity ?? null,
        // The manager's epoch milliseconds, as an ISO time like every time in --json.
        originalIssue: isoTime(r.originalIssue),
        type: r.type ?? null,
        dependencyOf: dependencies.has(r.ID) ? [...dependencies.get(r.ID)!.of] : null,
      })),
      alreadyAssigned: plan.alreadyAssigned.map((r) => ({ ruleId: r.ID, identifier: r.identifier ?? null })),
      dependenciesStaged: [...dependencies.keys()],
      unexpectedlyAssigned: surprises,
      leftOutForPlatform: skippedForPlatform.map((s) => ({ ruleId: s.rule.ID, identifier: s.rule.identifier ?? null, platform: s.platform })),
    },
    () => [
      ...(shownRules.length > 0 ? table(['RULE', 'ID', 'SEVERITY', 'RELEASED', 'STATUS', 'NAME'], shownRules.map((r) => ruleRow(r, status(r)))) : []),
      shownRules.length === 0
        ? `nothing new to stage on "${shown(policy.name)}" (id ${policy.id}): ${plan.alreadyAssigned.length} of the ${asked} already assigned`
        : `${opts.dryRun ? 'would stage' : 'staged'} ${shownRules.length} rule(s) on "${shown(policy.name)}" (id ${policy.id}) via ${policy.how}` +
          (plan.alreadyAssigned.length ? `; ${plan.alreadyAssigned.length} already assigned, left alone` : ''),
      ...(dependencies.size > 0
        ? [`rule id(s) ${[...dependencies.keys()].join(', ')}: the staged rules depend on them, so the manager assigns them too; ${opts.dryRun ? 'they would be' : 'they are'} detect-only like the rest (teardown removes them too)`]
        : []),
      ...(surprises.length > 0 ? [`warning: the manager also assigned rule id(s) ${surprises.join(', ')} no rule listed as a dependency; dskit set them detect-only right after (teardown removes them too)`] : []),
      ...(skippedForPlatform.length > 0
        ? [
            `left out ${skippedForPlatform.length} rule(s) for ${[...new Set(skippedForPlatform.map((s) => s.platform))].join(' and ')}, which the sandbox has no VM of ` +
              `(${skippedForPlatform.slice(0, 5).map((s) => shown(s.rule.identifier ?? String(s.rule.ID))).join(', ')}${skippedForPlatform.length > 5 ? ', ...' : ''}); --all-platforms stages them too`,
          ]
        : []),
      ...(customs.length > 0
        ? [
            `note: ${customs.length} custom rule(s) (${customs.map((r) => shown(r.identifier ?? String(r.ID))).join(', ')}): their events carry signature id 10, not the rule's identifier, ` +
              'so `rules promote` cannot see whether they stayed quiet and never promotes them; promote them by hand',
          ]
        : []),
      ...(shownRules.length > 0 && !opts.dryRun ? ['next: let them run, then `npx dskit rules promote --from <exported events>` promotes the ones that stayed quiet'] : []),
      ...(opts.dryRun && shownRules.length > 0 ? ['dry run: nothing changed'] : []),
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
