/**
 * "Did you mean ...?" for values checked against a list. Levenshtein distance from
 * fastest-levenshtein (a small, dependency-free, widely used implementation).
 */
import { distance } from 'fastest-levenshtein';

/**
 * The known value closest to `given` when it is close enough to be a typo: at most 2 edits, and
 * fewer than a third of its length (so `ab` is not "corrected" to `cd`). Ties go to the first.
 */
export function nearest(given: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(given, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 && bestDistance * 3 < given.length ? best : undefined;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(given: string, known: Iterable<string>): string {
  const match = nearest(given, known);
  return match ? `; did you mean ${JSON.stringify(match)}?` : '';
}
