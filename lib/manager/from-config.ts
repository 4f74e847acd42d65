/** A ManagerClient for a sandbox.yaml: the API URL, the key from its env var, TLS as configured. */
import { managerEndpoints, type ManagerConfig } from '../config';
import { KEY_HEADERS, ManagerClient, type KeyHeader, type ManagerClientProps } from './client';
import { ManagerSetupError } from './errors';
import { fetchTransport, insecureTlsTransport } from './transport';

/** Overrides manager.apiKeyHeader for one run; values `api-secret-key` or `authorization`. */
export const KEY_STYLE_ENV = 'DSKIT_API_KEY_HEADER';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * `<url>/api` for the manager, from `--manager-url` or the config. Plain http is refused except
 * on loopback (a local test double or a tunnel), because the key travels in a header.
 */
export function managerApiUrl(manager: ManagerConfig, urlOverride?: string): string {
  const base = managerEndpoints(manager, urlOverride).url;
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new ManagerSetupError(`--manager-url: got ${JSON.stringify(base)}; expected https://host[:port]`);
  }
  if (parsed.protocol === 'http:' && !LOOPBACK.has(parsed.hostname)) {
    throw new ManagerSetupError(
      `--manager-url: got ${JSON.stringify(base)}; plain http is allowed only for loopback (127.0.0.1, localhost); use https://`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ManagerSetupError(`--manager-url: got ${JSON.stringify(base)}; expected https://host[:port]`);
  }
  return `${base}/api`;
}

/** The API key from the env var `manager.apiKeyEnv` names. */
export function apiKeyFrom(manager: ManagerConfig, env: NodeJS.ProcessEnv): string {
  const key = env[manager.apiKeyEnv]?.trim();
  if (!key) {
    throw new ManagerSetupError(
      `${manager.apiKeyEnv} is not set: export ${manager.apiKeyEnv}=<API key> (create one in the manager under ` +
        'Administration > User Management > API Keys; manager.apiKeyEnv names a different variable)',
    );
  }
  return key;
}

/**
 * The key's header: `manager.apiKeyHeader` (default `api-secret-key`, what keys created in the
 * manager console need, whatever the manager type), unless DSKIT_API_KEY_HEADER overrides it.
 */
export function keyHeaderFor(manager: ManagerConfig, env: NodeJS.ProcessEnv): KeyHeader {
  const forced = env[KEY_STYLE_ENV];
  if (forced) {
    if ((KEY_HEADERS as readonly string[]).includes(forced)) return forced as KeyHeader;
    throw new ManagerSetupError(`${KEY_STYLE_ENV}: got ${JSON.stringify(forced)}; allowed: ${KEY_HEADERS.join(' | ')}`);
  }
  return manager.apiKeyHeader;
}

/** @deprecated the old name of keyHeaderFor */
export const keyStyleFor = keyHeaderFor;

export interface ClientFromConfigOptions extends Pick<ManagerClientProps, 'onRetry' | 'retry' | 'pageSize' | 'sleep' | 'timeoutMs' | 'callBudgetMs'> {
  readonly env: NodeJS.ProcessEnv;
  /** `--manager-url`. */
  readonly managerUrl?: string;
}

export function managerClientFor(manager: ManagerConfig, opts: ClientFromConfigOptions): ManagerClient {
  const baseUrl = managerApiUrl(manager, opts.managerUrl);
  return new ManagerClient({
    baseUrl,
    apiKey: apiKeyFrom(manager, opts.env),
    keyHeader: keyHeaderFor(manager, opts.env),
    transport: manager.allowSelfSignedCertificate && baseUrl.startsWith('https:') ? insecureTlsTransport : fetchTransport,
    onRetry: opts.onRetry,
    retry: opts.retry,
    pageSize: opts.pageSize,
    sleep: opts.sleep,
    timeoutMs: opts.timeoutMs,
    callBudgetMs: opts.callBudgetMs,
  });
}
