/** What can go wrong talking to the manager, each as one line that names the call. */

/** The manager answered with an error status. `message` is the manager's own `{"message"}`. */
export class ManagerApiError extends Error {
  override name = 'ManagerApiError';
  constructor(
    /** `POST /computers/search` */
    readonly call: string,
    readonly status: number,
    readonly managerMessage: string,
  ) {
    super(`${call} failed: HTTP ${status}: ${managerMessage}${hintFor(status)}`);
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

/** Misconfiguration found before any call: no key, a non-https URL. Callers exit 2. */
export class ManagerSetupError extends Error {
  override name = 'ManagerSetupError';
}

function hintFor(status: number): string {
  if (status === 401) return ' (is the API key right and active? Administration > User Management > API Keys)';
  if (status === 403) return " (the API key's role lacks this permission)";
  if (status === 429) return ' (rate limited; wait a minute and retry)';
  return '';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ManagerApiError && err.status === 404;
}
