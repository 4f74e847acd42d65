/**
 * When to retry a manager call, and how long to wait first.
 *
 * Trend's "API rate limits" page (Server & Workload Protection > Automate > API rate limits): the
 * manager counts the calls it received in the last sixty seconds; over a limit it answers 429
 * "Too many API requests" and processes nothing until the rate falls below the limits, and calls
 * made meanwhile are not counted. So a 429 is safe to retry (nothing was done), and retrying for
 * a few seconds is pointless: dskit keeps retrying a 429 for the whole 60 s window and a margin.
 *
 * 5xx and network failures are retried a few times with backoff — but only for calls that are
 * safe to repeat: a create whose answer was lost may have committed (see create-once.ts).
 * 401, 403 and 404 are never retried: waiting cannot make a wrong key, a missing permission or a
 * deleted object right.
 */

export interface RetryPolicy {
  /** Attempts in all for 5xx and network failures, the first included. @default 5 */
  readonly maxAttempts: number;
  /** The first backoff, doubled each retry. @default 500 */
  readonly baseDelayMs: number;
  /** No single wait is longer (Retry-After included). @default 30000 */
  readonly maxDelayMs: number;
  /** How long after the first 429 of a call dskit keeps retrying it. @default RATE_WINDOW_MS + 5000 */
  readonly rateLimitBudgetMs: number;
}

/** The manager's rate-limit window (Trend: "the last sixty seconds"). */
export const RATE_WINDOW_MS = 60_000;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, rateLimitBudgetMs: RATE_WINDOW_MS + 5_000 };

/** Waits between 429 retries: from 1 s, doubling, at most this (so the window's end is not overslept). */
const RATE_LIMIT_MAX_WAIT_MS = 15_000;

/** 5xx: the server failed; maybe the next try works. */
export function isServerError(status: number): boolean {
  return status >= 500 && status <= 599;
}

/** 429 and 5xx are worth retrying; 4xx (401, 403, 404, 400) are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || isServerError(status);
}

/**
 * Exponential backoff with full jitter, so parallel clients do not retry in lockstep.
 * A `Retry-After` header (seconds or an HTTP date) wins when present, within the bound.
 */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  retryAfter?: string | null,
  random: () => number = Math.random,
  now: () => number = Date.now,
): number {
  const fromHeader = parseRetryAfter(retryAfter, now);
  if (fromHeader !== undefined) return Math.min(fromHeader, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The wait before retry `attempt` of a rate-limited call: Retry-After if the manager gave one, else 1 s doubling to 15 s. */
export function rateLimitBackoffMs(attempt: number, retryAfter?: string | null, random: () => number = Math.random, now: () => number = Date.now): number {
  return backoffMs(attempt, { baseDelayMs: 1_000, maxDelayMs: RATE_LIMIT_MAX_WAIT_MS }, retryAfter, random, now);
}

export function parseRetryAfter(value: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,6}$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}
