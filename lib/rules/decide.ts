/**
 * Which staged rules `rules promote` switches to prevent. A rule is promoted only when it is
 * still on the policy, has been staged for the whole quiet window, fired not once since it was
 * staged, and the exported events reach past the end of that window (an export that stops early
 * proves nothing about the hours it does not cover).
 *
 * Custom rules are never promoted for lack of hits: their events carry signature id 10 (SPEC §5,
 * as Trend's own SIEM mappings classify them), not the rule's identifier, so the hits of one custom
 * rule cannot be told from another's — "no hits" is no evidence. A person decides those.
 */
import type { RuleHits } from './hits';
import type { StagedRule } from './state';

const HOUR_MS = 3_600_000;

export type Verdict =
  /** Quiet for the whole window: promote. */
  | 'quiet'
  /** Fired since staging: stays in detect-only; look at its events. */
  | 'noisy'
  /** Staged less than the quiet window ago: ask again later. */
  | 'waiting'
  /** The files end before the quiet window does: export newer events. */
  | 'unobserved'
  /** No longer assigned to the policy (someone removed it): nothing to promote. */
  | 'unassigned'
  /** A custom rule: its events do not name it, so quiet cannot be shown; a person decides. */
  | 'unprovable';

export interface RuleDecision {
  readonly rule: StagedRule;
  readonly verdict: Verdict;
  readonly hits: number;
  /** Why, in a few words, for the table. */
  readonly reason: string;
}

export interface DecideInput {
  readonly rule: StagedRule;
  readonly hits: RuleHits | undefined;
  readonly assigned: boolean;
}

export interface DecideOptions {
  readonly quietHours: number;
  readonly now: Date;
  /** The newest event time in the files, null when none had a readable time. */
  readonly newestEventMs: number | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
}

export function decide(input: DecideInput, opts: DecideOptions): RuleDecision {
  const { rule, assigned } = input;
  const hits = input.hits?.hits ?? 0;
  const stagedMs = Date.parse(rule.stagedAt);
  const windowEnd = stagedMs + opts.quietHours * HOUR_MS;
  const verdict = (v: Verdict, reason: string): RuleDecision => ({ rule, verdict: v, hits, reason });

  if (!assigned) return verdict('unassigned', 'no longer assigned to the policy; stage it again to roll it out');
  if (rule.type === 'custom') {
    return verdict(
      'unprovable',
      'a custom rule: its events carry signature id 10, not its identifier, so no hits proves nothing; kept in detect-only — look at the signature id 10 events and promote it by hand',
    );
  }
  if (hits > 0) {
    const untimed = input.hits!.untimed;
    const last = input.hits!.lastHitMs;
    return verdict(
      'noisy',
      `fired ${hits} time(s) since staging${last !== null ? `, last ${iso(last)}` : ''}${untimed ? ` (${untimed} without a time)` : ''}; kept in detect-only`,
    );
  }
  if (windowEnd > opts.now.getTime()) {
    const hoursLeft = Math.ceil((windowEnd - opts.now.getTime()) / HOUR_MS);
    return verdict('waiting', `staged ${iso(stagedMs)}; quiet window ends ${iso(windowEnd)} (${hoursLeft} h left)`);
  }
  if (opts.newestEventMs === null || opts.newestEventMs < windowEnd) {
    const reach = opts.newestEventMs === null ? 'the files hold no timed events' : `the files end ${iso(opts.newestEventMs)}`;
    return verdict('unobserved', `${reach}, before its quiet window ends ${iso(windowEnd)}; export newer events`);
  }
  return verdict('quiet', `no events in ${opts.quietHours} h or more since staging`);
}

/** Exit 1 when a rule needs a person: it fired, the files could not show it stayed quiet, or it is custom. */
export function needsAttention(decisions: readonly RuleDecision[]): boolean {
  return decisions.some((d) => d.verdict === 'noisy' || d.verdict === 'unobserved' || d.verdict === 'unprovable');
}
