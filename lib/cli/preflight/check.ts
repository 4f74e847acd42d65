/** One preflight finding: a line of its own, with the fix for a FAIL or WARN. */

/** PASS; WARN: likely to bite, does not fail preflight; FAIL: the deploy would fail; SKIP: not checkable here. */
export type Outcome = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export interface Check {
  readonly outcome: Outcome;
  readonly check: string;
  readonly detail: string;
  /** What to do about a FAIL or WARN. */
  readonly fix?: string;
  /** The config key the check is about, for --json. */
  readonly key?: string;
}

export const pass = (check: string, detail: string, key?: string): Check => ({ outcome: 'PASS', check, detail, key });
export const skip = (check: string, detail: string, key?: string): Check => ({ outcome: 'SKIP', check, detail, key });
export const fail = (check: string, detail: string, fix?: string, key?: string): Check => ({ outcome: 'FAIL', check, detail, fix, key });
export const warn = (check: string, detail: string, fix?: string, key?: string): Check => ({ outcome: 'WARN', check, detail, fix, key });

/** A cloud or SDK message on one line, cut to a readable length (the whole of it is rarely useful). */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
