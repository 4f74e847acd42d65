/** Search criteria builders, so callers say what they mean and get the wire shape right. */
import type { SearchCriterion } from './model';

/** Exactly this string: wildcards off, so `%` and `_` in the value match themselves. */
export function stringEquals(fieldName: string, value: string): SearchCriterion {
  return { fieldName, stringTest: 'equal', stringValue: value, stringWildcards: false };
}

/** A pattern with `%` (any run) and `_` (any one character), the manager's wildcards. */
export function stringLike(fieldName: string, pattern: string): SearchCriterion {
  return { fieldName, stringTest: 'equal', stringValue: pattern, stringWildcards: true };
}

/** The manager's wildcards (`%`, `_`) and the escape itself, escaped, so they match themselves. */
export function escapeWildcards(s: string): string {
  return s.replace(/([\\%_])/g, '\\$1');
}

/** `prefix%`, with the prefix's own `%`, `_` and `\` escaped so only the tail is a wildcard. */
export function stringStartsWith(fieldName: string, prefix: string): SearchCriterion {
  return stringLike(fieldName, `${escapeWildcards(prefix)}%`);
}

export function idGreaterThan(id: number): SearchCriterion {
  return { idTest: 'greater-than', idValue: id };
}

/** A date field on or after `ms` (ms since epoch); date fields take no numeric test. */
export function dateOnOrAfter(fieldName: string, ms: number): SearchCriterion {
  return { fieldName, firstDateValue: ms, firstDateInclusive: true };
}
