/**
 * A typed client for the Deep Security / Workload Security `/api` v1 REST API: the calls dskit's
 * commands need, and the IPS rule calls the rule rollout builds on.
 *
 * Every call sends `api-version: v1` and the key, in the header the key's kind needs (see
 * KeyHeader). Answers are checked against the catalog's shapes (schemas.ts) with every string
 * scrubbed of the key first (redact.ts); ids reach URLs only as positive integers (paths.ts);
 * searches page by object id within a bound on pages and items. 429 is retried through the
 * manager's 60 s rate window, 5xx and network failures a few times with backoff — creates never
 * blindly (create-once.ts) — and 401/403/404 never. Each exchange has one overall deadline, and a
 * client can be given a deadline for all its calls (`withDeadline`). A 3xx is an error: the key is
 * never sent anywhere but the configured origin. An error is one line naming the call. The key is
 * only ever put in a request header — never in a URL, a message or a log line.
 */
import type { z } from 'zod';
import { ManagerApiError, ManagerSetupError, ManagerUnreachableError, isNotFound } from './errors';
import { COLLECTIONS, type CollectionPath, type EventBasedTask, type Policy, type SearchCriterion, type SearchFilter } from './model';
import { apiId, apiPath } from './paths';
import { printableJson, redactDeep, redactor, shown, type Redact } from './redact';
import { DEFAULT_RETRY, isServerError, rateLimitBackoffMs, backoffMs, type RetryPolicy } from './retry';
import {
  apiKeyCurrentSchema,
  applicationTypeSchema,
  computerGroupSchema,
  computerSchema,
  describeIssue,
  eventBasedTaskSchema,
  ignoredSchema,
  ipsAssignmentsSchema,
  ipsRuleOverrideSchema,
  ipsRuleSchema,
  policySchema,
  settingValueSchema,
} from './schemas';
import { escapeWildcards, idGreaterThan, stringEquals, stringLike, stringStartsWith } from './search';
import { DEFAULT_MAX_RESPONSE_BYTES, fetchTransport, type Transport } from './transport';

/**
 * Which header carries the key. Trend's "Send your first request using the API" (Server & Workload
 * Protection > Automate): keys created in the console (Administration > User Management > API
 * Keys — a DSM's, and a Workload Security / Server & Workload Protection legacy account's) go in
 * `api-secret-key: <key>`; only Trend Micro Cloud One account API keys go in
 * `Authorization: ApiKey <key>`.
 */
export type KeyHeader = 'api-secret-key' | 'authorization';
/** @deprecated the old name of KeyHeader */
export type KeyStyle = KeyHeader;

export const KEY_HEADERS: readonly KeyHeader[] = ['api-secret-key', 'authorization'];

/** How each choice looks on the wire, for messages. */
export function describeKeyHeader(h: KeyHeader): string {
  return h === 'authorization' ? '"Authorization: ApiKey <key>"' : '"api-secret-key: <key>"';
}

export interface RetryNotice {
  readonly call: string;
  /** The attempt that failed, from 1 (for 5xx and network failures: the count of those). */
  readonly attempt: number;
  /** The bound on attempts for 5xx and network failures (429s are bounded by time instead). */
  readonly maxAttempts: number;
  readonly waitMs: number;
  /** `HTTP 429`, `HTTP 503`, or the network error. */
  readonly reason: string;
  /** A 429: the manager's rate limit, retried through its window. */
  readonly rateLimited: boolean;
  /** For a 429: dskit gives the call up this long from now if the manager still refuses. */
  readonly givesUpInMs?: number;
}

export interface ManagerClientProps {
  /** The API root, `https://host[:port]/api`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** @default 'api-secret-key' */
  readonly keyHeader?: KeyHeader;
  /** @deprecated use keyHeader */
  readonly keyStyle?: KeyHeader;
  /** @default DEFAULT_RETRY (5 attempts, 0.5 s doubling, 30 s cap; 429s for 65 s) */
  readonly retry?: Partial<RetryPolicy>;
  /** `maxItems` per search page. @default 1000 */
  readonly pageSize?: number;
  /** One exchange (connect, headers, whole body). @default 30000 */
  readonly timeoutMs?: number;
  /** One call, its retries included. @default 90000 */
  readonly callBudgetMs?: number;
  /** A search stops with an error past this many pages. @default 500 */
  readonly maxPages?: number;
  /** A search stops with an error past this many items. @default 50000 */
  readonly maxItems?: number;
  /** @default DEFAULT_MAX_RESPONSE_BYTES (64 MiB) */
  readonly maxResponseBytes?: number;
  /** No call runs past this time (ms since epoch). @default none */
  readonly deadline?: number;
  /** @default fetchTransport (Node's fetch, TLS verified) */
  readonly transport?: Transport;
  /** Told before each retry wait, so long operations can show progress. */
  readonly onRetry?: (notice: RetryNotice) => void;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  readonly body?: unknown;
  /**
   * The call creates something: never retried after a failure that may have committed (5xx, a
   * broken or timed-out connection). Callers look the object up instead (create-once.ts).
   */
  readonly create?: boolean;
}

/** Detail to include in computer responses; `none` keeps them small. */
/** `expand` values of the computers endpoints this kit asks for (Trend's API reference, Computers: "expand"). */
export type ComputerExpand =
  | 'none'
  | 'all'
  | 'computerStatus'
  | 'computerSettings'
  | 'antiMalware'
  | 'webReputation'
  | 'firewall'
  | 'intrusionPrevention'
  | 'integrityMonitoring'
  | 'logInspection';

export type ComputerRecord = z.output<typeof computerSchema>;
export type PolicyRecord = z.output<typeof policySchema>;
export type IntrusionPreventionRuleRecord = z.output<typeof ipsRuleSchema>;
export type IntrusionPreventionAssignmentsRecord = z.output<typeof ipsAssignmentsSchema>;
export type ComputerGroupRecord = z.output<typeof computerGroupSchema>;
export type ApplicationTypeRecord = z.output<typeof applicationTypeSchema>;
export type ApiKeyCurrentRecord = z.output<typeof apiKeyCurrentSchema>;
export type SettingValueRecord = z.output<typeof settingValueSchema>;
export type EventBasedTaskRecord = z.output<typeof eventBasedTaskSchema>;

const ITEM_SCHEMAS = {
  computers: computerSchema,
  policies: policySchema,
  intrusionpreventionrules: ipsRuleSchema,
  computergroups: computerGroupSchema,
  applicationtypes: applicationTypeSchema,
  eventbasedtasks: eventBasedTaskSchema,
} as const;
type ItemOf<P extends CollectionPath> = z.output<(typeof ITEM_SCHEMAS)[P]>;

/** Printable ASCII: what the manager's keys are made of, and all an HTTP header value may safely hold. */
const KEY_CHARS = /^[\x21-\x7e]+$/;

export class ManagerClient {
  readonly baseUrl: string;
  readonly keyHeader: KeyHeader;
  private readonly apiKey: string;
  private readonly props: ManagerClientProps;
  private readonly retry: RetryPolicy;
  private readonly pageSize: number;
  private readonly timeoutMs: number;
  private readonly callBudgetMs: number;
  private readonly maxPages: number;
  private readonly maxItems: number;
  private readonly transport: Transport;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly redactText: Redact;

  constructor(props: ManagerClientProps) {
    if (!/^https?:\/\/[^/\s]+(\/.*)?$/.test(props.baseUrl)) {
      throw new ManagerSetupError(`manager API URL: got ${JSON.stringify(props.baseUrl)}; expected https://host[:port]/api`);
    }
    if (!props.apiKey || !KEY_CHARS.test(props.apiKey)) {
      throw new ManagerSetupError(
        'manager API key: empty, or has spaces, line breaks or non-ASCII characters; set the key exactly as the manager showed it',
      );
    }
    const pageSize = props.pageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 5000) {
      throw new ManagerSetupError(`pageSize: got ${pageSize}; allowed: 1-5000 (the manager's maxItems limit)`);
    }
    this.props = props;
    this.baseUrl = props.baseUrl.replace(/\/+$/, '');
    this.apiKey = props.apiKey;
    this.keyHeader = props.keyHeader ?? props.keyStyle ?? 'api-secret-key';
    this.retry = { ...DEFAULT_RETRY, ...props.retry };
    this.pageSize = pageSize;
    this.timeoutMs = props.timeoutMs ?? 30_000;
    this.callBudgetMs = props.callBudgetMs ?? 90_000;
    this.maxPages = props.maxPages ?? 500;
    this.maxItems = props.maxItems ?? 50_000;
    this.transport = props.transport ?? fetchTransport;
    this.sleep = props.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = props.now ?? Date.now;
    this.redactText = redactor(props.apiKey);
  }

  /** The same client, whose calls all end by `deadline` (ms since epoch): a round of verify --wait. */
  withDeadline(deadline: number): ManagerClient {
    return new ManagerClient({ ...this.props, deadline: Math.min(deadline, this.props.deadline ?? Infinity) });
  }

  /** Never shows the key, even when the client itself is logged. */
  toJSON(): object {
    return { baseUrl: this.baseUrl, keyHeader: this.keyHeader, apiKey: '***' };
  }

  /** Scrubs the key from any text (for messages built from server data outside the client). */
  redact(text: string): string {
    return this.redactText(text);
  }

  // ---- low level -----------------------------------------------------------------------------

  /**
   * One API call: the answer checked against `schema`. Retried on 429 (through the rate window),
   * and on 5xx and network failures unless `opts.create`.
   */
  async request<S extends z.ZodTypeAny>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    schema: S,
    opts: RequestOptions = {},
  ): Promise<z.output<S>> {
    const call = `${method} ${path}`;
    const url = this.baseUrl + path + queryString(opts.query);
    const headers: Record<string, string> = { 'api-version': 'v1', accept: 'application/json' };
    if (this.keyHeader === 'authorization') headers.authorization = `ApiKey ${this.apiKey}`;
    else headers['api-secret-key'] = this.apiKey;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }

    const start = this.now();
    const callDeadline = Math.min(this.props.deadline ?? Infinity, start + this.callBudgetMs);
    let firstRateLimit: number | undefined;
    let rateLimits = 0;
    // 5xx and network failures so far: what maxAttempts bounds (429s are bounded by time).
    let failures = 0;
    let lastFailure: Error | undefined;
    for (let attempt = 1; ; attempt++) {
      const left = callDeadline - this.now();
      if (left <= 0) throw lastFailure ?? new ManagerUnreachableError(call, 'out of time before the call could be made');
      let status: number;
      let text: string;
      let retryAfter: string | null = null;
      let location: string | null = null;
      try {
        const res = await this.transport({
          method,
          url,
          headers,
          body,
          timeoutMs: Math.min(this.timeoutMs, left),
          maxBytes: this.props.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        });
        status = res.status;
        text = res.text;
        retryAfter = res.header('retry-after');
        location = res.header('location');
      } catch (err) {
        const reason = shown(this.redactText(networkReason(err)));
        lastFailure = new ManagerUnreachableError(call, reason);
        // A refused connection sent nothing, so even a create may try again.
        const mayRetry = !opts.create || /^ECONNREFUSED\b/.test(reason);
        failures += 1;
        if (!mayRetry || failures >= this.retry.maxAttempts) throw lastFailure;
        if (!(await this.waitBeforeRetry(call, failures, reason, backoffMs(failures, this.retry), callDeadline, false))) throw lastFailure;
        continue;
      }
      if (status >= 200 && status < 300) return this.parse(call, status, text, schema);
      if (status >= 300 && status < 400) {
        const where = location === null ? 'no Location' : `Location "${shown(this.redactText(location))}"`;
        throw new ManagerApiError(
          call,
          status,
          `a redirect (${where})`,
          '; dskit never follows a redirect (the API key would go along to the new address): set --manager-url / manager.url to the address the manager answers on itself',
        );
      }
      lastFailure = new ManagerApiError(call, status, this.managerMessage(text, status), status === 401 ? unauthorizedHint(this.keyHeader) : undefined);
      if (status === 429) {
        firstRateLimit ??= this.now();
        rateLimits += 1;
        const budgetLeft = firstRateLimit + this.retry.rateLimitBudgetMs - this.now();
        const wait = rateLimitBackoffMs(rateLimits, retryAfter);
        if (wait > budgetLeft) throw lastFailure;
        if (!(await this.waitBeforeRetry(call, attempt, 'HTTP 429', wait, callDeadline, true, budgetLeft))) throw lastFailure;
        continue;
      }
      if (isServerError(status) && !opts.create && ++failures < this.retry.maxAttempts) {
        if (await this.waitBeforeRetry(call, failures, `HTTP ${status}`, backoffMs(failures, this.retry, retryAfter), callDeadline, false)) continue;
      }
      throw lastFailure;
    }
  }

  /**
   * Every match of a search, paged by object id (`idTest greater-than` the last id seen, sorted by
   * id) until a page comes back empty, so a server that caps `maxItems` below the asked size
   * still yields everything. Bounded: a page larger than asked, ids that do not rise, more than
   * `maxPages` pages or `maxItems` items are errors, not an endless loop or an exhausted heap.
   */
  async searchAll<P extends CollectionPath>(collection: P, criteria: readonly SearchCriterion[] = [], query?: RequestOptions['query']): Promise<ItemOf<P>[]> {
    const wrapper = COLLECTIONS[collection];
    const path = apiPath(collection, 'search');
    const call = `POST ${path}`;
    const itemSchema = ITEM_SCHEMAS[collection] as z.ZodType<ItemOf<P>>;
    const out: ItemOf<P>[] = [];
    let lastId = 0;
    for (let page = 0; page < this.maxPages; page++) {
      const filter: SearchFilter = {
        maxItems: this.pageSize,
        searchCriteria: [...criteria, idGreaterThan(lastId)],
        sortByObjectID: true,
      };
      const res: unknown = await this.request('POST', path, ignoredSchema, { query, body: filter });
      const list = res !== null && typeof res === 'object' && !Array.isArray(res) ? (res as Record<string, unknown>)[wrapper] : undefined;
      if (!Array.isArray(list)) throw new ManagerApiError(call, 200, `the answer has no "${wrapper}" list; is this a Deep Security /api v1 endpoint?`);
      if (list.length > this.pageSize) {
        throw new ManagerApiError(call, 200, `${list.length} ${wrapper} in one page though maxItems was ${this.pageSize}; the server ignores maxItems`);
      }
      if (list.length === 0) return out;
      let previous = lastId;
      for (let i = 0; i < list.length; i++) {
        const parsed = itemSchema.safeParse(list[i]);
        if (!parsed.success) throw new ManagerApiError(call, 200, `unexpected answer: ${wrapper}[${i}].${shown(describeIssue(parsed.error))}`);
        const id = (parsed.data as { ID: number }).ID;
        if (id <= previous) {
          throw new ManagerApiError(call, 200, `paging did not advance (id ${id} after ${previous}); the server ignores idTest or sortByObjectID`);
        }
        previous = id;
        out.push(parsed.data);
      }
      if (out.length > this.maxItems) throw new ManagerApiError(call, 200, `more than ${this.maxItems} ${wrapper} match; narrow the search`);
      lastId = previous;
    }
    throw new ManagerApiError(call, 200, `more than ${this.maxPages} pages of ${wrapper}; narrow the search`);
  }

  // ---- computers -----------------------------------------------------------------------------

  async searchComputers(criteria: readonly SearchCriterion[], expand: readonly ComputerExpand[] = ['computerStatus']): Promise<ComputerRecord[]> {
    return this.searchAll('computers', criteria, { expand });
  }

  /** Computers whose display name starts with `prefix` (callers filter exact names themselves). */
  async computersWithDisplayNamePrefix(prefix: string, expand: readonly ComputerExpand[] = ['computerStatus']): Promise<ComputerRecord[]> {
    return this.searchComputers([stringStartsWith('displayName', prefix)], expand);
  }

  /**
   * Computers whose host name starts with `prefix` in any case: an agent that registered itself
   * (vision-one) is known by its host name, and Windows reports it in capitals. Every letter of the
   * prefix is a one-character wildcard, then the answer is filtered without case.
   */
  async computersWithHostNamePrefix(prefix: string, expand: readonly ComputerExpand[] = ['computerStatus']): Promise<ComputerRecord[]> {
    const pattern = [...prefix].map((ch) => (ch.toLowerCase() !== ch.toUpperCase() ? '_' : escapeWildcards(ch))).join('');
    const lower = prefix.toLowerCase();
    return (await this.searchComputers([stringLike('hostName', `${pattern}%`)], expand)).filter((c) => c.hostName?.toLowerCase().startsWith(lower));
  }

  async describeComputer(id: number, expand: readonly ComputerExpand[] = ['computerStatus']): Promise<ComputerRecord> {
    return this.request('GET', apiPath('computers', { id, what: 'computer id' }), computerSchema, { query: { expand } });
  }

  async deleteComputer(id: number): Promise<void> {
    await this.request('DELETE', apiPath('computers', { id, what: 'computer id' }), ignoredSchema);
  }

  async setComputerPolicy(id: number, policyID: number): Promise<ComputerRecord> {
    return this.request('POST', apiPath('computers', { id, what: 'computer id' }), computerSchema, {
      query: { expand: ['none'] },
      body: { policyID: apiId('policy id', policyID) },
    });
  }

  // ---- policies ------------------------------------------------------------------------------

  /**
   * Policies named exactly `name`, case included (names are unique in a manager, but the API does
   * not promise it). The search asks for an exact match, and the answer is filtered again: how a
   * manager's database compares case is not documented.
   */
  async policiesNamed(name: string): Promise<PolicyRecord[]> {
    return (await this.searchAll('policies', [stringEquals('name', name)])).filter((p) => p.name === name);
  }

  /** Policies whose name differs from `name` only in case, for a "did you mean" hint. */
  async policiesNamedIgnoringCase(name: string): Promise<PolicyRecord[]> {
    // Every letter a one-character wildcard: the same length, any case; then compare.
    const pattern = [...name].map((ch) => (ch.toLowerCase() !== ch.toUpperCase() ? '_' : escapeWildcards(ch))).join('');
    const lower = name.toLowerCase();
    return (await this.searchAll('policies', [stringLike('name', pattern)])).filter((p) => p.name?.toLowerCase() === lower);
  }

  async describePolicy(id: number): Promise<PolicyRecord> {
    return this.request('GET', apiPath('policies', { id, what: 'policy id' }), policySchema);
  }

  /** The policy, or undefined when the manager says 404. */
  async findPolicy(id: number): Promise<PolicyRecord | undefined> {
    try {
      return await this.describePolicy(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Never retried after an ambiguous failure (it may have committed): use createOnce
   * (create-once.ts), which looks the policy up by name and adopts it.
   */
  async createPolicy(policy: Policy): Promise<PolicyRecord> {
    return this.request('POST', apiPath('policies'), policySchema, { body: policy, create: true });
  }

  /** A partial modify: only the fields given change. */
  async modifyPolicy(id: number, changes: Policy): Promise<PolicyRecord> {
    return this.request('POST', apiPath('policies', { id, what: 'policy id' }), policySchema, { body: changes });
  }

  async deletePolicy(id: number): Promise<void> {
    await this.request('DELETE', apiPath('policies', { id, what: 'policy id' }), ignoredSchema);
  }

  async policySetting(policyId: number, name: string): Promise<SettingValueRecord> {
    return this.request('GET', apiPath('policies', { id: policyId, what: 'policy id' }, 'settings', name), settingValueSchema);
  }

  // ---- intrusion prevention (rule rollout) ---------------------------------------------------

  async searchIntrusionPreventionRules(criteria: readonly SearchCriterion[]): Promise<IntrusionPreventionRuleRecord[]> {
    return this.searchAll('intrusionpreventionrules', criteria);
  }

  async describeIntrusionPreventionRule(ruleId: number): Promise<IntrusionPreventionRuleRecord> {
    return this.request('GET', apiPath('intrusionpreventionrules', { id: ruleId, what: 'rule id' }), ipsRuleSchema);
  }

  /** Every application type (a few hundred): names say which platform a rule is for. */
  async applicationTypes(): Promise<ApplicationTypeRecord[]> {
    return this.searchAll('applicationtypes');
  }

  async policyIntrusionPreventionAssignments(policyId: number): Promise<IntrusionPreventionAssignmentsRecord> {
    return this.request('GET', apiPath('policies', { id: policyId, what: 'policy id' }, 'intrusionprevention', 'assignments'), ipsAssignmentsSchema);
  }

  /** Adds rules to the policy's assignments (the others stay); the manager adds their dependencies too. */
  async assignIntrusionPreventionRules(policyId: number, ruleIDs: readonly number[]): Promise<IntrusionPreventionAssignmentsRecord> {
    return this.request('POST', apiPath('policies', { id: policyId, what: 'policy id' }, 'intrusionprevention', 'assignments'), ipsAssignmentsSchema, {
      body: { ruleIDs: ruleIDs.map((r) => apiId('rule id', r)) },
    });
  }

  async unassignIntrusionPreventionRule(policyId: number, ruleId: number): Promise<IntrusionPreventionAssignmentsRecord> {
    return this.request(
      'DELETE',
      apiPath('policies', { id: policyId, what: 'policy id' }, 'intrusionprevention', 'assignments', { id: ruleId, what: 'rule id' }),
      ipsAssignmentsSchema,
    );
  }

  private rulePath(policyId: number, ruleId: number): string {
    return apiPath('policies', { id: policyId, what: 'policy id' }, 'intrusionprevention', 'rules', { id: ruleId, what: 'rule id' });
  }

  /** The policy's own overrides of one rule (only the overridden fields). */
  async policyRuleOverrides(policyId: number, ruleId: number) {
    return this.request('GET', this.rulePath(policyId, ruleId), ipsRuleOverrideSchema, { query: { overrides: true } });
  }

  /** A per-policy override of one rule's detect-only flag (staging sets it; promotion removes it). */
  async setPolicyRuleDetectOnly(policyId: number, ruleId: number, detectOnly: boolean) {
    return this.request('POST', this.rulePath(policyId, ruleId), ipsRuleOverrideSchema, { query: { overrides: true }, body: { detectOnly } });
  }

  /** Drops the policy's overrides of a rule, back to the rule's own settings. */
  async resetPolicyRuleOverrides(policyId: number, ruleId: number) {
    return this.request('DELETE', this.rulePath(policyId, ruleId), ipsRuleOverrideSchema, { query: { overrides: true } });
  }

  // ---- event-based tasks (how agents that register themselves get a policy) ------------------

  /** Tasks named exactly `name` (the answer is filtered again: how the database compares case is not documented). */
  async eventBasedTasksNamed(name: string): Promise<EventBasedTaskRecord[]> {
    return (await this.searchAll('eventbasedtasks', [stringEquals('name', name)])).filter((t) => t.name === name);
  }

  async describeEventBasedTask(id: number): Promise<EventBasedTaskRecord> {
    return this.request('GET', apiPath('eventbasedtasks', { id, what: 'event-based task id' }), eventBasedTaskSchema);
  }

  /** Never retried after an ambiguous failure: use createOnce with eventBasedTasksNamed. */
  async createEventBasedTask(task: EventBasedTask): Promise<EventBasedTaskRecord> {
    return this.request('POST', apiPath('eventbasedtasks'), eventBasedTaskSchema, { body: task, create: true });
  }

  /** A partial modify: only the fields given change (conditions and actions are replaced whole). */
  async modifyEventBasedTask(id: number, changes: EventBasedTask): Promise<EventBasedTaskRecord> {
    return this.request('POST', apiPath('eventbasedtasks', { id, what: 'event-based task id' }), eventBasedTaskSchema, { body: changes });
  }

  async deleteEventBasedTask(id: number): Promise<void> {
    await this.request('DELETE', apiPath('eventbasedtasks', { id, what: 'event-based task id' }), ignoredSchema);
  }

  // ---- the rest preflight needs --------------------------------------------------------------

  async systemSetting(name: string): Promise<SettingValueRecord> {
    return this.request('GET', apiPath('systemsettings', name), settingValueSchema);
  }

  async describeComputerGroup(id: number): Promise<ComputerGroupRecord> {
    return this.request('GET', apiPath('computergroups', { id, what: 'computer group id' }), computerGroupSchema);
  }

  /** Who this key is; the cheapest call that proves the key works (an ApiKey object with its id). */
  async currentApiKey(): Promise<ApiKeyCurrentRecord> {
    return this.request('GET', apiPath('apikeys', 'current'), apiKeyCurrentSchema);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Waits before a retry, or says false when the wait would pass the call's deadline. */
  private async waitBeforeRetry(
    call: string,
    attempt: number,
    reason: string,
    waitMs: number,
    callDeadline: number,
    rateLimited: boolean,
    budgetLeftMs?: number,
  ): Promise<boolean> {
    if (this.now() + waitMs >= callDeadline) return false;
    this.props.onRetry?.({
      call,
      attempt,
      maxAttempts: this.retry.maxAttempts,
      waitMs,
      reason,
      rateLimited,
      ...(budgetLeftMs !== undefined ? { givesUpInMs: Math.max(0, Math.min(budgetLeftMs, callDeadline - this.now())) } : {}),
    });
    await this.sleep(waitMs);
    return true;
  }

  private parse<S extends z.ZodTypeAny>(call: string, status: number, text: string, schema: S): z.output<S> {
    let value: unknown;
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text);
      } catch {
        const start = printableJson(JSON.stringify(this.redactText(text).slice(0, 60)));
        throw new ManagerApiError(call, status, `the answer is not JSON (starts ${start}); is the URL the manager's /api?`);
      }
    }
    const checked = schema.safeParse(redactDeep(value, this.redactText));
    if (!checked.success) {
      throw new ManagerApiError(call, status, `unexpected answer: ${shown(describeIssue(checked.error))}; is this a Deep Security /api v1 endpoint?`);
    }
    return checked.data;
  }

  /** The manager's `{"message": ...}`, else the start of whatever came back; redacted and escaped. */
  private managerMessage(text: string, status: number): string {
    const clean = this.redactText(text);
    try {
      const parsed = JSON.parse(clean) as { message?: unknown };
      if (typeof parsed?.message === 'string' && parsed.message) return shown(this.redactText(oneLine(parsed.message)));
    } catch {
      /* not JSON: fall through */
    }
    const t = oneLine(clean);
    return t ? shown(this.redactText(t)) : `no message (HTTP ${status})`;
  }
}

/** A 401 says which header carried the key, and how to switch. */
function unauthorizedHint(sent: KeyHeader): string {
  return sent === 'api-secret-key'
    ? ' (dskit sent the key as "api-secret-key: <key>", which keys created under Administration > User Management > API Keys use; ' +
        'a Trend Micro Cloud One account API key goes in "Authorization: ApiKey <key>": set manager.apiKeyHeader: authorization. ' +
        'Otherwise check the key is right, active and not expired)'
    : ' (dskit sent the key as "Authorization: ApiKey <key>", which only Trend Micro Cloud One account API keys use; ' +
        'a key created under Administration > User Management > API Keys goes in "api-secret-key: <key>": set manager.apiKeyHeader: api-secret-key (the default). ' +
        'Otherwise check the key is right, active and not expired)';
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

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (e?.name === 'TransportTimeoutError' || e?.name === 'ResponseTooLargeError') return e.message ?? e.name;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const cause = e?.cause;
  if (cause?.name === 'TransportTimeoutError' || cause?.name === 'ResponseTooLargeError') return cause.message ?? cause.name;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${oneLine(cause.message)})` : ''}`;
  // fetch wraps the real reason ("bad port", a TLS failure) in a generic "fetch failed"
  if (cause?.message) return `${oneLine(e?.message ?? 'request failed')}: ${oneLine(cause.message)}`;
  const code = (err as { code?: string })?.code;
  if (code) return `${code}${e?.message ? ` (${oneLine(e.message)})` : ''}`;
  return oneLine(e?.message ?? String(err));
}

