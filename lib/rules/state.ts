/**
 * The rollout's memory in dskit.context.json: which rules `rules stage` put on which policy and
 * when, and which `rules promote` has promoted. Teardown's undo records are separate
 * (`changes`, see ./changes.ts); these say where each rule is in its rollout.
 */
import { readContext, updateContext, type DskitContext } from '../context';

export const ROLLOUT_KEY = 'ipsRollout';

export interface StagedRule {
  /** The manager's object id of the rule. */
  readonly ruleId: number;
  /** The public identifier (`1008610`), which events carry as their signature id. */
  readonly identifier: string;
  readonly name?: string;
  readonly policyId: number;
  /** ISO time the rule went into detect-only on the policy. */
  readonly stagedAt: string;
  /** ISO time `rules promote` removed its detect-only override, if it has. */
  readonly promotedAt?: string;
  /** The rule's type (`custom`, `smart`, ...). Custom rules are never promoted for lack of hits (see decide.ts). */
  readonly type?: string;
  /** Staged because the manager assigns it along with these staged rules (their `dependsOnRuleIDs`). */
  readonly dependencyOf?: readonly number[];
}

type Rollout = Record<string, StagedRule[]>;

function rolloutIn(ctx: DskitContext): Rollout {
  return (ctx[ROLLOUT_KEY] as Rollout | undefined) ?? {};
}

function save(sandbox: string, rules: StagedRule[], dir?: string): void {
  updateContext((ctx) => {
    const rollout = { ...rolloutIn(ctx) };
    if (rules.length > 0) rollout[sandbox] = rules;
    else delete rollout[sandbox];
    return { ...ctx, [ROLLOUT_KEY]: rollout };
  }, dir);
}

const same = (a: Pick<StagedRule, 'ruleId' | 'policyId'>, b: Pick<StagedRule, 'ruleId' | 'policyId'>) =>
  a.ruleId === b.ruleId && a.policyId === b.policyId;

export function stagedRulesOf(sandbox: string, dir?: string): StagedRule[] {
  return [...(rolloutIn(readContext(dir))[sandbox] ?? [])];
}

/** Adds (or keeps, when already there) the record of a staged rule. */
export function recordStagedRule(sandbox: string, rule: StagedRule, dir?: string): void {
  const rules = stagedRulesOf(sandbox, dir);
  if (rules.some((r) => same(r, rule))) return;
  save(sandbox, [...rules, rule], dir);
}

export function markPromoted(sandbox: string, rule: Pick<StagedRule, 'ruleId' | 'policyId'>, at: string, dir?: string): void {
  save(
    sandbox,
    stagedRulesOf(sandbox, dir).map((r) => (same(r, rule) ? { ...r, promotedAt: at } : r)),
    dir,
  );
}

/** Teardown reverted the rule on the policy: its rollout is over. */
export function forgetStagedRule(sandbox: string, rule: Pick<StagedRule, 'ruleId' | 'policyId'>, dir?: string): void {
  const rules = stagedRulesOf(sandbox, dir);
  if (!rules.some((r) => same(r, rule))) return;
  save(sandbox, rules.filter((r) => !same(r, rule)), dir);
}
