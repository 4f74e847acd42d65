/**
 * The manager changes the rollout records for teardown to undo (dskit.context.json `changes`).
 * A staged rule is one change: its detect-only override and its assignment on the policy, both
 * reverted together. A rule the manager assigns along with staged ones (a dependency) is staged
 * the same way, detect-only first, and recorded before the rules that need it, so teardown (newest
 * first) unassigns the dependents before it — the manager refuses to unassign a rule another
 * assigned rule depends on. Records of the older kind IPS_RULE_DEPENDENCY (an assignment only,
 * from before dependencies were made detect-only) are still undone.
 */
import type { ManagerChange } from '../context';
import { isNotFound, type ManagerClient } from '../manager';

export const IPS_RULE_STAGED = 'ips-rule-staged';
export const IPS_RULE_DEPENDENCY = 'ips-rule-dependency-assigned';

/** What a rule change's `previous` holds: the policy to revert the rule on. */
export interface RuleChangeTarget {
  readonly policyId: number;
  /** Set for a dependency staged along with these rules. */
  readonly dependencyOf?: readonly number[];
}

export function isRuleChange(c: Pick<ManagerChange, 'kind'>): boolean {
  return c.kind === IPS_RULE_STAGED || c.kind === IPS_RULE_DEPENDENCY;
}

export function ruleChange(
  kind: typeof IPS_RULE_STAGED | typeof IPS_RULE_DEPENDENCY,
  ruleId: number,
  identifier: string | undefined,
  policyId: number,
  at: string,
  dependencyOf?: readonly number[],
): ManagerChange {
  const target: RuleChangeTarget = { policyId, ...(dependencyOf?.length ? { dependencyOf } : {}) };
  return { kind, id: ruleId, ...(identifier ? { name: identifier } : {}), previous: target, at };
}

export function policyOfChange(c: ManagerChange): number {
  const policyId = (c.previous as Partial<RuleChangeTarget> | undefined)?.policyId;
  if (typeof policyId !== 'number') throw new Error(`dskit.context.json: change ${c.kind} ${c.id} has no previous.policyId; remove the entry by hand`);
  return policyId;
}

export function describeRuleChange(c: ManagerChange): string {
  const rule = `IPS rule ${c.name ?? '?'} (id ${c.id})`;
  const dependencyOf = (c.previous as Partial<RuleChangeTarget> | undefined)?.dependencyOf;
  if (c.kind === IPS_RULE_STAGED && dependencyOf?.length) {
    return `unassign ${rule} from policy id ${policyOfChange(c)} and drop its override, staged by dskit rules stage as a dependency of rule id(s) ${dependencyOf.join(', ')}`;
  }
  if (c.kind === IPS_RULE_STAGED) return `unassign ${rule} from policy id ${policyOfChange(c)} and drop its override, staged by dskit rules stage`;
  return `unassign ${rule} from policy id ${policyOfChange(c)}, assigned as a dependency by dskit rules stage`;
}

/** Reverts one rule change; a policy or rule that no longer exists counts as already undone. */
export async function undoRuleChange(client: ManagerClient, c: ManagerChange): Promise<'done' | 'already gone'> {
  const policyId = policyOfChange(c);
  try {
    if (c.kind === IPS_RULE_STAGED) await client.resetPolicyRuleOverrides(policyId, c.id);
    await client.unassignIntrusionPreventionRule(policyId, c.id);
    return 'done';
  } catch (err) {
    if (isNotFound(err)) return 'already gone';
    throw err;
  }
}
