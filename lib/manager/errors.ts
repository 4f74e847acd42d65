/** What can go wrong talking to the manager, each as one line that names the call. */

/** The manager answered with an error status (or an answer dskit cannot use). `managerMessage` is the manager's own `{"message"}`, redacted and escaped. */
export class ManagerApiError extends Error {
  override name = 'ManagerApiError';
  constructor(
    /** `POST /computers/search` */
    readonly call: string,
    readonly status: number,
    readonly managerMessage: string,
    /** Replaces the status's usual hint (e.g. a 401's names the key header that was sent). */
    hint?: string,
  ) {
    super(`${call} failed: HTTP ${status}: ${managerMessage}${hint ?? hintFor(status)}`);
  }
}

/** No answer at all (DNS, refused, TLS, timeout) after the retries. */
export class ManagerUnreachableError extends Error {
  override name = 'ManagerUnreachableError';
  constructor(
    readonly call: string,
    readonly reason: string,
  ) {
    super(`${call} failed: cannot reach the manager: ${reason}; check --manager-url / manager.url and your network or proxy`);
  }
}

/** Misconfiguration found before any call: no key, a non-https URL, an id that is not an id. Callers exit 2. */
export class ManagerSetupError extends Error {
  override name = 'ManagerSetupError';
}

function hintFor(status: number): string {
  if (status === 401) return ' (is the API key right and active? Administration > User Management > API Keys)';
  if (status === 403) return " (the API key's role lacks this permission, or the key is locked out or expired)";
  if (status === 429) return ' (rate limited for over a minute; wait and retry, or ask Trend Micro support about the limits)';
  return '';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ManagerApiError && err.status === 404;
}

/**
 * A failure after which the manager may or may not have done what was asked: the connection broke
 * or timed out, or the server failed (5xx). A 4xx or 429 means it did nothing.
 */
export function isAmbiguousFailure(err: unknown): boolean {
  if (err instanceof ManagerUnreachableError) return !/^ECONNREFUSED\b|^ENOTFOUND\b|^EAI_AGAIN\b/.test(err.reason);
  return err instanceof ManagerApiError && err.status >= 500 && err.status <= 599;
}

/** A failure worth trying again later (verify --wait's next round): the manager was down, slow or busy. */
export function isTransientFailure(err: unknown): boolean {
  if (err instanceof ManagerUnreachableError) return true;
  return err instanceof ManagerApiError && (err.status === 429 || (err.status >= 500 && err.status <= 599));
}

/** The manager holds something that stops dskit going on safely (e.g. two objects where one was made). Exit 1. */
export class ManagerConflictError extends Error {
  override name = 'ManagerConflictError';
}
