/**
 * A typed client for the Deep Security / Workload Security `/api` v1 REST API: the calls dskit's
 * commands need, and the IPS rule calls the rule rollout builds on.
 *
 * Every call sends `api-version: v1` and the key; searches page by object id; 429 and 5xx are
 * retried with backoff (bounded); an error becomes one line naming the call. The key is only
 * ever put in a request header — never in a URL, a message or a log line.
 */
import { ManagerApiError, ManagerSetupError, ManagerUnreachableError, isNotFound } from './errors';
import {
  COLLECTIONS,
  type ApiKeyCurrent,
  type CollectionItem,
  type CollectionPath,
  type Computer,
  type ComputerGroup,
  type IntrusionPreventionAssignments,
  type IntrusionPreventionRule,
  type Policy,
  type SearchCriterion,
  type SearchFilter,
  type SettingValue,
} from './model';
import { DEFAULT_RETRY, backoffMs, isRetryableStatus, type RetryPolicy } from './retry';
import { idGreaterThan, stringEquals, stringStartsWith } from './search';
import { fetchTransport, type Transport } from './transport';

/**
 * How the key travels. DSM and legacy Workload Security keys: `api-secret-key: <key>`.
 * Cloud One API keys: `Authorization: ApiKey <key>`.
 */
export type KeyStyle = 'api-secret-key' | 'authorization';

export interface RetryNotice {
  readonly call: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly waitMs: number;
  /** `HTTP 429`, `HTTP 503`, or the network error. */
  readonly reason: string;
}

export interface ManagerClientProps {
  /** The API root, `https://host[:port]/api`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** @default 'api-secret-key' */
  readonly keyStyle?: KeyStyle;
  /** @default DEFAULT_RETRY (5 attempts, 0.5 s doubling, 30 s cap) */
  readonly retry?: Partial<RetryPolicy>;
  /** `maxItems` per search page. @default 1000 */
  readonly pageSize?: number;
  /** Per-request timeout. @default 30000 */
  readonly timeoutMs?: number;
  /** @default fetchTransport (Node's fetch, TLS verified) */
  readonly transport?: Transport;
  /** Told before each retry wait, so long operations can show progress. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  readonly body?: unknown;
}

/** Detail to include in computer responses; `none` keeps them small. */
export type ComputerExpand = 'none' | 'computerStatus' | 'intrusionPrevention' | 'all';

/** Stops a runaway search against a misbehaving server. */
const MAX_PAGES = 10_000;

export class ManagerClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly keyStyle: KeyStyle;
  private readonly retry: RetryPolicy;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly onRetry?: (notice: RetryNotice) => void;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(props: ManagerClientProps) {
    if (!/^https?:\/\/[^/\s]+(\/.*)?$/.test(props.baseUrl)) {
      throw new ManagerSetupError(`manager API URL: got ${JSON.stringify(props.baseUrl)}; expected https://host[:port]/api`);
    }
    if (!props.apiKey || /[\r\n]/.test(props.apiKey)) {
      throw new ManagerSetupError('manager API key: empty or contains a line break; set the key exactly as the manager showed it');
    }
    const pageSize = props.pageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 5000) {
      throw new ManagerSetupError(`pageSize: got ${pageSize}; allowed: 1-5000 (the manager's maxItems limit)`);
    }
    this.baseUrl = props.baseUrl.replace(/\/+$/, '');
    this.apiKey = props.apiKey;
    this.keyStyle = props.keyStyle ?? 'api-secret-key';
    this.retry = { ...DEFAULT_RETRY, ...props.retry };
    this.pageSize = pageSize;
    this.timeoutMs = props.timeoutMs ?? 30_000;
    this.transport = props.transport ?? fetchTransport;
    this.onRetry = props.onRetry;
    this.sleep = props.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Never shows the key, even when the client itself is logged. */
  toJSON(): object {
    return { baseUrl: this.baseUrl, keyStyle: this.keyStyle, apiKey: '***' };
  }

  // ---- low level -----------------------------------------------------------------------------

  /** One API call, retried on 429/5xx/network errors. Resolves to the parsed JSON body (or undefined). */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const call = `${method} ${path}`;
    const url = this.baseUrl + path + queryString(opts.query);
    const headers: Record<string, string> = { 'api-version': 'v1', accept: 'application/json' };
    if (this.keyStyle === 'authorization') headers.authorization = `ApiKey ${this.apiKey}`;
    else headers['api-secret-key'] = this.apiKey;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }

    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      let retryAfter: string | null = null;
      try {
        const res = await this.transport({ method, url, headers, body, timeoutMs: this.timeoutMs });
        status = res.status;
        text = res.text;
        retryAfter = res.header('retry-after');
      } catch (err) {
        const reason = this.redact(networkReason(err));
        if (attempt >= this.retry.maxAttempts) throw new ManagerUnreachableError(call, reason);
        await this.waitBeforeRetry(call, attempt, reason);
        continue;
      }
      if (status >= 200 && status < 300) return parseBody<T>(text, call, status);
      if (isRetryableStatus(status) && attempt < this.retry.maxAttempts) {
        await this.waitBeforeRetry(call, attempt, `HTTP ${status}`, retryAfter);
        continue;
      }
      throw new ManagerApiError(call, status, this.redact(managerMessage(text, status)));
    }
  }

  /**
   * Every match of a search, paged by object id (`idTest greater-than` the last id seen, sorted by
   * id) until a page comes back empty, so a server that caps `maxItems` below the asked size
   * still yields everything.
   */
  async searchAll<P extends CollectionPath>(
    collection: P,
    criteria: readonly SearchCriterion[] = [],
    query?: RequestOptions['query'],
  ): Promise<CollectionItem[P][]> {
    const wrapper = COLLECTIONS[collection];
    const out: CollectionItem[P][] = [];
    let lastId = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const filter: SearchFilter = {
        maxItems: this.pageSize,
        searchCriteria: [...criteria, idGreaterThan(lastId)],
        sortByObjectID: true,
      };
      const res = await this.request<Record<string, CollectionItem[P][]>>('POST', `/${collection}/search`, { query, body: filter });
      const items = res?.[wrapper];
      if (!Array.isArray(items)) {
        throw new ManagerApiError(`POST /${collection}/search`, 200, `response has no "${wrapper}" list; is this a Deep Security /api v1 endpoint?`);
      }
      if (items.length === 0) return out;
      const ids = items.map((i) => (i as { ID?: number }).ID ?? 0);
      const maxId = Math.max(...ids);
      if (maxId <= lastId) {
        throw new ManagerApiError(`POST /${collection}/search`, 200, 'paging did not advance (ids not above the last page); the server ignores idTest');
      }
      out.push(...items);
      lastId = maxId;
    }
    throw new ManagerApiError(`POST /${collection}/search`, 200, `more than ${MAX_PAGES} pages; narrow the search`);
  }

  // ---- computers -----------------------------------------------------------------------------

  searchComputers(criteria: readonly SearchCriterion[], expand: readonly ComputerExpand[] = ['computerStatus']): Promise<Computer[]> {
    return this.searchAll('computers', criteria, { expand });
  }

  /** Computers whose display name starts with `prefix` (callers filter exact names themselves). */
  computersWithDisplayNamePrefix(prefix: string, expand: readonly ComputerExpand[] = ['computerStatus']): Promise<Computer[]> {
    return this.searchComputers([stringStartsWith('displayName', prefix)], expand);
  }

  describeComputer(id: number, expand: readonly ComputerExpand[] = ['computerStatus']): Promise<Computer> {
    return this.request('GET', `/computers/${id}`, { query: { expand } });
  }

  async deleteComputer(id: number): Promise<void> {
    await this.request('DELETE', `/computers/${id}`);
  }

  setComputerPolicy(id: number, policyID: number): Promise<Computer> {
    return this.request('POST', `/computers/${id}`, { query: { expand: ['none'] }, body: { policyID } });
  }

  // ---- policies ------------------------------------------------------------------------------

  /** Policies named exactly `name` (names are unique in a manager, but the API does not promise it). */
  policiesNamed(name: string): Promise<Policy[]> {
    return this.searchAll('policies', [stringEquals('name', name)]);
  }

  describePolicy(id: number): Promise<Policy> {
    return this.request('GET', `/policies/${id}`);
  }

  /** The policy, or undefined when the manager says 404. */
  async findPolicy(id: number): Promise<Policy | undefined> {
    try {
      return await this.describePolicy(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  createPolicy(policy: Policy): Promise<Policy> {
    return this.request('POST', '/policies', { body: policy });
  }

  /** A partial modify: only the fields given change. */
  modifyPolicy(id: number, changes: Policy): Promise<Policy> {
    return this.request('POST', `/policies/${id}`, { body: changes });
  }

  async deletePolicy(id: number): Promise<void> {
    await this.request('DELETE', `/policies/${id}`);
  }

  policySetting(policyId: number, name: string): Promise<SettingValue> {
    return this.request('GET', `/policies/${policyId}/settings/${encodeURIComponent(name)}`);
  }

  // ---- intrusion prevention (rule rollout) ---------------------------------------------------

  searchIntrusionPreventionRules(criteria: readonly SearchCriterion[]): Promise<IntrusionPreventionRule[]> {
    return this.searchAll('intrusionpreventionrules', criteria);
  }

  policyIntrusionPreventionAssignments(policyId: number): Promise<IntrusionPreventionAssignments> {
    return this.request('GET', `/policies/${policyId}/intrusionprevention/assignments`);
  }

  /** Adds rules to the policy's assignments (the others stay). */
  assignIntrusionPreventionRules(policyId: number, ruleIDs: readonly number[]): Promise<IntrusionPreventionAssignments> {
    return this.request('POST', `/policies/${policyId}/intrusionprevention/assignments`, { body: { ruleIDs } });
  }

  unassignIntrusionPreventionRule(policyId: number, ruleId: number): Promise<IntrusionPreventionAssignments> {
    return this.request('DELETE', `/policies/${policyId}/intrusionprevention/assignments/${ruleId}`);
  }

  /** A per-policy override of one rule's detect-only flag (staging: true; promotion: false). */
  setPolicyRuleDetectOnly(policyId: number, ruleId: number, detectOnly: boolean): Promise<IntrusionPreventionRule> {
    return this.request('POST', `/policies/${policyId}/intrusionprevention/rules/${ruleId}`, {
      query: { overrides: true },
      body: { detectOnly },
    });
  }

  /** Drops the policy's overrides of a rule, back to the rule's own settings. */
  resetPolicyRuleOverrides(policyId: number, ruleId: number): Promise<IntrusionPreventionRule> {
    return this.request('DELETE', `/policies/${policyId}/intrusionprevention/rules/${ruleId}`, { query: { overrides: true } });
  }

  // ---- the rest preflight needs --------------------------------------------------------------

  systemSetting(name: string): Promise<SettingValue> {
    return this.request('GET', `/systemsettings/${encodeURIComponent(name)}`);
  }

  describeComputerGroup(id: number): Promise<ComputerGroup> {
    return this.request('GET', `/computergroups/${id}`);
  }

  /** Who this key is; the cheapest call that proves the key works. */
  currentApiKey(): Promise<ApiKeyCurrent> {
    return this.request('GET', '/apikeys/current');
  }

  // ---- helpers -------------------------------------------------------------------------------

  private async waitBeforeRetry(call: string, attempt: number, reason: string, retryAfter?: string | null): Promise<void> {
    const waitMs = backoffMs(attempt, this.retry, retryAfter);
    this.onRetry?.({ call, attempt, maxAttempts: this.retry.maxAttempts, waitMs, reason });
    await this.sleep(waitMs);
  }

  /** Belt and braces: a manager or proxy that echoes the key back must not put it in our output. */
  private redact(text: string): string {
    return this.apiKey.length >= 4 ? text.split(this.apiKey).join('***') : text;
  }
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseBody<T>(text: string, call: string, status: number): T {
  if (text.trim() === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ManagerApiError(call, status, `the answer is not JSON (starts ${JSON.stringify(text.slice(0, 60))}); is the URL the manager's /api?`);
  }
}

/** The manager's `{"message": ...}`, else the start of whatever came back. */
function managerMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed?.message === 'string' && parsed.message) return oneLine(parsed.message);
  } catch {
    /* not JSON: fall through */
  }
  const t = oneLine(text);
  return t ? t.slice(0, 200) : `no message (HTTP ${status})`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${oneLine(cause.message)})` : ''}`;
  // fetch wraps the real reason ("bad port", a TLS failure) in a generic "fetch failed"
  if (cause?.message) return `${oneLine(e?.message ?? 'request failed')}: ${oneLine(cause.message)}`;
  return oneLine(e?.message ?? String(err));
}
