/**
 * `dskit exercise` on GCP. Triggers go through instance metadata: the CLI sets key
 * `dskit-exercise` on each instance (instances.setMetadata, with the metadata fingerprint, as the
 * Compute API requires), the watcher the boot script installed (agents/linux/gcp/exercise-watcher.sh,
 * agents/windows/gcp/exercise-watcher.ps1) runs the triggers and answers in guest attributes, read
 * with instances.getGuestAttributes; the key is removed again at the end. Events are counted with a
 * BigQuery query job (jobs.query, then jobs.getQueryResults while jobComplete is false and for
 * every further page) over the dataset's own source relation (lib/gcp/events eventsSourceSql).
 *
 * google-auth-library is required here, and this file only by the exercise command; credentials
 * are Application Default Credentials. The endpoints honour gcloud's override variables
 * (CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE / _BIGQUERY: the API's versioned root URL), e.g. for a
 * Private Service Connect endpoint.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxConfig } from '../config';
import { EXERCISE_METADATA_KEY, EXERCISE_NAMESPACE, parseAttribute, requestValue, WATCHER_KEY } from './protocol';
import { isModuleKey } from './catalogue';
import { COUNT_COLUMNS, eventCountOf, eventCountSql, type EventCount, type EventWindow } from './query';
import type { EventSink, TriggerAnswer, TriggerChannel, TriggerRequest } from './run';

export const COMPUTE_ENDPOINT_ENV = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE';
export const BIGQUERY_ENDPOINT_ENV = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY';
const COMPUTE_ROOT = 'https://compute.googleapis.com/compute/v1/';
const BIGQUERY_ROOT = 'https://bigquery.googleapis.com/bigquery/v2/';
const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];
/** A watcher that has not said "started" by then is not there (a VM from before dskit exercise). */
const WATCHER_ANSWER_MS = 120_000;
/** BigQuery: how long one jobs.query / getQueryResults call waits server-side, and the whole count. */
const QUERY_WAIT_MS = 10_000;
const QUERY_TIMEOUT_MS = 120_000;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

interface HttpClient {
  request<T>(opts: { url: string; method?: 'GET' | 'POST'; data?: unknown; params?: Record<string, unknown> }): Promise<{ data: T; status: number }>;
}

/** A Google API error as one line (the API's own message, and what to do for the usual ones). */
export function googleProblem(err: unknown, needs: string): string {
  const e = err as { message?: string; code?: string; status?: number; response?: { status?: number; data?: any } };
  const status = e.response?.status ?? e.status;
  const body = e.response?.data?.error;
  const message = oneLine(typeof body?.message === 'string' ? body.message : (e.message ?? String(err)));
  if (/default credentials/i.test(message)) return `no Google credentials (${message}); run \`gcloud auth application-default login\`, then re-run`;
  if (status === 401 || status === 403) return `HTTP ${status}: ${message}; use an account with ${needs}`;
  return status !== undefined ? `HTTP ${status}${body?.status ? ` ${body.status}` : ''}: ${message}` : message;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { status?: number; response?: { status?: number } };
  return e.response?.status ?? e.status;
}

let cachedClient: Promise<HttpClient> | undefined;
function googleClient(): Promise<HttpClient> {
  cachedClient ??= (async () => {
    const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
    return (await new GoogleAuth({ scopes: SCOPES }).getClient()) as unknown as HttpClient;
  })();
  return cachedClient;
}

const root = (env: NodeJS.ProcessEnv, name: string, dflt: string) => (env[name] || dflt).replace(/\/?$/, '/');

interface Instance {
  status?: string;
  metadata?: { fingerprint?: string; items?: { key: string; value?: string }[] };
}

interface Sent {
  readonly displayName: string;
  readonly modules: readonly string[];
  readonly sentAt: number;
  started: boolean;
  done: boolean;
  /** Modules already answered (each answer is passed on once). */
  readonly answered: Set<string>;
}

export class MetadataChannel implements TriggerChannel {
  readonly cloud = 'gcp' as const;
  private readonly queued: TriggerAnswer[] = [];
  private readonly sent: Sent[] = [];
  private run = '';
  private readonly base: string;

  constructor(
    private readonly config: SandboxConfig,
    env: NodeJS.ProcessEnv,
    private readonly clock: () => number = Date.now,
  ) {
    const g = config.gcp!;
    this.base = `${root(env, COMPUTE_ENDPOINT_ENV, COMPUTE_ROOT)}projects/${encodeURIComponent(g.project)}/zones/${encodeURIComponent(g.zone)}/instances/`;
  }

  private url(instance: string, verb = ''): string {
    return `${this.base}${encodeURIComponent(instance)}${verb ? `/${verb}` : ''}`;
  }

  /** Sets (value) or removes (undefined) the request key, retrying when the fingerprint moved under us. */
  private async setKey(client: HttpClient, instance: string, value: string | undefined, onlyIfRun?: string): Promise<Instance> {
    for (let attempt = 1; ; attempt++) {
      const { data } = await client.request<Instance>({ url: this.url(instance) });
      const items = (data.metadata?.items ?? []).filter((i) => i.key !== EXERCISE_METADATA_KEY);
      const current = data.metadata?.items?.find((i) => i.key === EXERCISE_METADATA_KEY)?.value;
      if (value === undefined && (current === undefined || (onlyIfRun && !current.startsWith(`run=${onlyIfRun} `)))) return data;
      try {
        await client.request({
          url: this.url(instance, 'setMetadata'),
          method: 'POST',
          data: { kind: 'compute#metadata', fingerprint: data.metadata?.fingerprint, items: value === undefined ? items : [...items, { key: EXERCISE_METADATA_KEY, value }] },
        });
        return data;
      } catch (err) {
        // 412 conditionNotMet: someone changed the metadata since our read; read again.
        if (statusOf(err) === 412 && attempt < 3) continue;
        throw err;
      }
    }
  }

  async start(run: string, requests: readonly TriggerRequest[]): Promise<void> {
    this.run = run;
    let client: HttpClient;
    try {
      client = await googleClient();
    } catch (err) {
      for (const r of requests) this.queued.push({ displayName: r.target.displayName, kind: 'failed', reason: googleProblem(err, 'compute.instances.setMetadata') });
      return;
    }
    for (const r of requests) {
      const name = r.target.displayName;
      try {
        const instance = await this.setKey(client, name, requestValue(run, r.modules));
        if (instance.status && instance.status !== 'RUNNING') {
          this.queued.push({ displayName: name, kind: 'failed', reason: `the instance is ${instance.status}, not RUNNING` });
        }
        this.sent.push({ displayName: name, modules: r.modules, sentAt: this.clock(), started: false, done: false, answered: new Set() });
        this.queued.push({ displayName: name, kind: 'progress', detail: `metadata ${EXERCISE_METADATA_KEY} set` });
      } catch (err) {
        const why = statusOf(err) === 404 ? `no instance ${name} in ${this.config.gcp!.zone} (is the stack deployed?)` : googleProblem(err, 'roles/compute.instanceAdmin.v1 (compute.instances.setMetadata)');
        this.queued.push({ displayName: name, kind: 'failed', reason: `could not ask the VM: ${why}` });
      }
    }
  }

  async poll(): Promise<TriggerAnswer[]> {
    const out = this.queued.splice(0);
    const open = this.sent.filter((s) => !s.done);
    if (open.length === 0) return out;
    const client = await googleClient();
    for (const s of open) {
      let items: { namespace?: string; key?: string; value?: string }[] = [];
      try {
        const { data } = await client.request<{ queryValue?: { items?: typeof items } }>({
          url: this.url(s.displayName, 'getGuestAttributes'),
          params: { queryPath: `${EXERCISE_NAMESPACE}/` },
        });
        items = data.queryValue?.items ?? [];
      } catch (err) {
        // 404: nothing written under the namespace yet.
        if (statusOf(err) !== 404) throw new Error(googleProblem(err, 'compute.instances.getGuestAttributes'));
      }
      for (const item of items) {
        const a = item.value !== undefined ? parseAttribute(item.value, this.run) : undefined;
        if (!a || !item.key) continue;
        if (item.key === WATCHER_KEY) {
          if (a.word === 'started' && !s.started) {
            s.started = true;
            out.push({ displayName: s.displayName, kind: 'progress', detail: 'the exercise watcher started the triggers' });
          }
          if (a.word === 'done') s.done = true;
          continue;
        }
        if (!isModuleKey(item.key) || s.answered.has(item.key) || (a.word !== 'ok' && a.word !== 'failed')) continue;
        s.answered.add(item.key);
        out.push({ displayName: s.displayName, kind: 'result', result: { module: item.key, ok: a.word === 'ok', at: a.at, detail: a.detail } });
      }
      if (s.done && s.answered.size < s.modules.length) {
        out.push({ displayName: s.displayName, kind: 'failed', reason: 'the exercise watcher finished without answering for this module' });
      }
      if (!s.started && !s.done && this.clock() - s.sentAt > WATCHER_ANSWER_MS) {
        s.done = true;
        out.push({
          displayName: s.displayName,
          kind: 'failed',
          reason:
            `no answer from the VM's exercise watcher within ${WATCHER_ANSWER_MS / 1000} s (guest attribute ${EXERCISE_NAMESPACE}/${WATCHER_KEY}): ` +
            'a VM whose boot script predates `dskit exercise` has none; re-run its boot script (sudo google_metadata_script_runner startup) or recreate it',
        });
      }
    }
    return out;
  }

  async finish(): Promise<string[]> {
    const warnings: string[] = [];
    if (this.sent.length === 0) return warnings;
    let client: HttpClient;
    try {
      client = await googleClient();
    } catch (err) {
      return [`could not remove metadata ${EXERCISE_METADATA_KEY}: ${googleProblem(err, 'compute.instances.setMetadata')}`];
    }
    for (const s of this.sent) {
      try {
        await this.setKey(client, s.displayName, undefined, this.run);
      } catch (err) {
        warnings.push(`could not remove metadata ${EXERCISE_METADATA_KEY} from ${s.displayName} (remove it by hand: gcloud compute instances remove-metadata ${s.displayName} --keys ${EXERCISE_METADATA_KEY}): ${googleProblem(err, 'compute.instances.setMetadata')}`);
      }
    }
    return warnings;
  }
}

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: { projectId?: string; jobId?: string; location?: string };
  schema?: { fields?: { name: string; type: string }[] };
  rows?: { f?: { v?: unknown }[] }[];
  pageToken?: string;
  errors?: { message?: string; reason?: string }[];
}

export class BigQuerySink implements EventSink {
  readonly cloud = 'gcp' as const;
  readonly name: string;
  readonly pipeline: string;
  private readonly base: string;

  constructor(
    private readonly project: string,
    private readonly location: string,
    dataset: string,
    /** The dataset's source relation (lib/gcp/events eventsSourceSql). */
    private readonly source: string,
    env: NodeJS.ProcessEnv,
    private readonly labels: Record<string, string>,
  ) {
    this.name = `BigQuery dataset ${project}.${dataset}`;
    this.pipeline = 'agent syslog → Ops Agent → Cloud Logging log ds-events → Log Router sink → BigQuery';
    this.base = `${root(env, BIGQUERY_ENDPOINT_ENV, BIGQUERY_ROOT)}projects/${encodeURIComponent(project)}/queries`;
  }

  async count(window: EventWindow): Promise<EventCount[]> {
    const needs = `roles/bigquery.jobUser on project ${this.project} and roles/bigquery.dataViewer on the dataset`;
    let client: HttpClient;
    try {
      client = await googleClient();
    } catch (err) {
      throw new Error(googleProblem(err, needs));
    }
    const formatOptions = { useInt64Timestamp: true };
    let res: QueryResponse;
    try {
      ({ data: res } = await client.request<QueryResponse>({
        url: this.base,
        method: 'POST',
        data: {
          query: eventCountSql('bigquery', this.source, window),
          useLegacySql: false,
          location: this.location,
          timeoutMs: QUERY_WAIT_MS,
          maxResults: 1000,
          requestId: randomUUID(),
          formatOptions,
          labels: this.labels,
        },
      }));
    } catch (err) {
      throw new Error(googleProblem(err, needs));
    }
    const job = res.jobReference;
    const giveUp = Date.now() + QUERY_TIMEOUT_MS;
    const rows: EventCount[] = [];
    for (;;) {
      if (res.errors?.length) throw new Error(`BigQuery job ${job?.jobId ?? '?'} failed: ${oneLine(res.errors.map((e) => e.message ?? e.reason).join('; '))}`);
      let pageToken: string | undefined;
      if (res.jobComplete) {
        const names = (res.schema?.fields ?? []).map((f) => f.name);
        const missing = COUNT_COLUMNS.filter((c) => !names.includes(c));
        if (missing.length) throw new Error(`BigQuery job ${job?.jobId ?? '?'} answered without columns ${missing.join(', ')}`);
        for (const r of res.rows ?? []) rows.push(eventCountOf(Object.fromEntries(names.map((n, i) => [n, r.f?.[i]?.v ?? null]))));
        pageToken = res.pageToken;
        if (!pageToken) return rows;
      } else if (Date.now() > giveUp) {
        throw new Error(`BigQuery job ${job?.jobId ?? '?'} not complete after ${QUERY_TIMEOUT_MS / 1000} s`);
      }
      if (!job?.jobId) throw new Error('BigQuery answered without a job reference');
      try {
        ({ data: res } = await client.request<QueryResponse>({
          url: `${this.base}/${encodeURIComponent(job.jobId)}`,
          params: {
            location: job.location ?? this.location,
            timeoutMs: QUERY_WAIT_MS,
            maxResults: 1000,
            'formatOptions.useInt64Timestamp': true,
            ...(pageToken ? { pageToken } : {}),
          },
        }));
      } catch (err) {
        throw new Error(googleProblem(err, needs));
      }
    }
  }
}

/** The GCP side of an exercise, from the config alone (names as lib/gcp/names.ts derives them). */
export function gcpExercise(config: SandboxConfig, env: NodeJS.ProcessEnv): { channel: MetadataChannel; sink: BigQuerySink } {
  const { eventsDatasetId } = require('../gcp/names') as typeof import('../gcp/names');
  // Required here: the cdktf provider classes lib/gcp/events imports load only for a GCP exercise.
  const { eventsSourceSql } = require('../gcp/events') as typeof import('../gcp/events');
  const g = config.gcp!;
  const dataset = eventsDatasetId(config.name);
  const sink = new BigQuerySink(g.project, g.region, dataset, eventsSourceSql(g.project, dataset), env, { 'dskit-sandbox': config.name });
  return { channel: new MetadataChannel(config, env), sink };
}
