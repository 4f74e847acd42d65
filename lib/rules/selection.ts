/**
 * Which IPS rules `rules stage` picks: the flags' wording turned into a release-date cutoff or a
 * list of rule identifiers, and the candidates minus what the policy already has.
 */
import { RolloutInputError } from './errors';

const DAY_MS = 86_400_000;

/**
 * `--released-since`: `YYYY-MM-DD` (midnight UTC), a full ISO 8601 time, or `<N>d` (N days
 * before `now`). Returns ms since epoch.
 */
export function parseReleasedSince(text: string, now: Date = new Date()): number {
  const relative = /^(\d{1,4})d$/.exec(text);
  if (relative) return now.getTime() - Number(relative[1]) * DAY_MS;
  const dateOnly = /^\d{4}-\d\d-\d\d$/.test(text);
  const t = dateOnly ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d\d-\d\dT/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(t)) {
    throw new RolloutInputError(`--released-since: got "${text}"; expected a date (2025-06-01), an ISO time (2025-06-01T09:00:00Z) or days back (30d)`);
  }
  if (t > now.getTime()) throw new RolloutInputError(`--released-since: got "${text}", which is in the future; no rule can have been released since then`);
  return t;
}

/**
 * `--rule-ids 1008610,1011935`: the rules' public identifiers (the numbers in Trend Micro's rule
 * update notes and in the events' signature id), not the manager's internal object ids.
 */
export function parseRuleIdentifiers(text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new RolloutInputError(`--rule-ids: got "${text}"; expected identifiers separated by commas, e.g. 1008610,1011935`);
  // SPEC §5: IPS signature ids, and so rule identifiers, are 1000000-1999999.
  const bad = items.filter((s) => !/^1\d{6}$/.test(s));
  if (bad.length > 0) {
    throw new RolloutInputError(
      `--rule-ids: got ${bad.map((b) => `"${b}"`).join(', ')}; allowed: 7-digit IPS rule identifiers from 1000000 to 1999999 (as in the rule's name, e.g. 1008610)`,
    );
  }
  return [...new Set(items)];
}

/** A rule as the client returns it: its id checked. */
export interface RuleRef {
  readonly ID: number;
  readonly identifier?: string;
}

export interface StagingPlan<R extends RuleRef = RuleRef> {
  /** New to the policy, sorted by identifier. */
  readonly toStage: R[];
  /** Already assigned to the policy (directly or inherited): left exactly as they are. */
  readonly alreadyAssigned: R[];
}

export function planStaging<R extends RuleRef>(candidates: readonly R[], assignedRuleIds: readonly number[]): StagingPlan<R> {
  const assigned = new Set(assignedRuleIds);
  const unique = [...new Map(candidates.map((r) => [r.ID, r])).values()];
  const byIdentifier = (a: R, b: R) => (a.identifier ?? '').localeCompare(b.identifier ?? '') || a.ID - b.ID;
  return {
    toStage: unique.filter((r) => !assigned.has(r.ID)).sort(byIdentifier),
    alreadyAssigned: unique.filter((r) => assigned.has(r.ID)).sort(byIdentifier),
  };
}
