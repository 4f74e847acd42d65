/** A ManagerClient for a sandbox.yaml: the API URL, the key from its env var, TLS as configured. */
import { managerEndpoints, type ManagerConfig } from '../config';
import { ManagerClient, type KeyStyle, type ManagerClientProps } from './client';
import { ManagerSetupError } from './errors';
import { fetchTransport, insecureTlsTransport } from './transport';

/** Overrides the key header; values `api-secret-key` or `authorization`. */
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

/** Workload Security accounts on Cloud One use `Authorization: ApiKey`; a DSM uses `api-secret-key`. */
export function keyStyleFor(manager: ManagerConfig, env: NodeJS.ProcessEnv): KeyStyle {
  const forced = env[KEY_STYLE_ENV];
  if (forced === 'api-secret-key' || forced === 'authorization') return forced;
  if (forced) throw new ManagerSetupError(`${KEY_STYLE_ENV}: got ${JSON.stringify(forced)}; allowed: api-secret-key | authorization`);
  return manager.type === 'workload-security' ? 'authorization' : 'api-secret-key';
}

export interface ClientFromConfigOptions extends Pick<ManagerClientProps, 'onRetry' | 'retry' | 'pageSize' | 'sleep'> {
  readonly env: NodeJS.ProcessEnv;
  /** `--manager-url`. */
  readonly managerUrl?: string;
}

export function managerClientFor(manager: ManagerConfig, opts: ClientFromConfigOptions): ManagerClient {
  const baseUrl = managerApiUrl(manager, opts.managerUrl);
  return new ManagerClient({
    baseUrl,
    apiKey: apiKeyFrom(manager, opts.env),
    keyStyle: keyStyleFor(manager, opts.env),
    transport: manager.allowSelfSignedCertificate && baseUrl.startsWith('https:') ? insecureTlsTransport : fetchTransport,
    onRetry: opts.onRetry,
    retry: opts.retry,
    pageSize: opts.pageSize,
    sleep: opts.sleep,
  });
}
