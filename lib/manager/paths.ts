/**
 * Building request paths from ids and names. An id reaches a URL only as a positive integer, and
 * every other part is percent-encoded: an id like `"11/../../policies/9"` (from a hostile server)
 * or `"9/../1"` (from a damaged dskit.context.json) would otherwise turn `DELETE /computers/11`
 * into `DELETE /policies/9`.
 */
import { ManagerSetupError } from './errors';
import { shown } from './redact';

/** The largest id the client accepts: the manager's ids are 32-bit integers; this leaves room. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

export function isApiId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;
}

/** `value` if it is a positive integer id; else a setup error naming `what` and the value. */
export function apiId(what: string, value: unknown): number {
  if (isApiId(value)) return value;
  const given = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new ManagerSetupError(`${what}: got ${shown(given, 80)}; expected a positive integer id`);
}

export type PathPart = string | { readonly id: number; readonly what: string };

/** `/policies/9/settings/x%2Fy`: ids checked, strings encoded. */
export function apiPath(...parts: readonly PathPart[]): string {
  return parts.map((p) => `/${typeof p === 'string' ? encodeURIComponent(p) : apiId(p.what, p.id)}`).join('');
}
