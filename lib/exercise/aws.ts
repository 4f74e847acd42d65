/**
 * `dskit exercise` on AWS. Triggers go through SSM Run Command (AWS-RunShellScript /
 * AWS-RunPowerShellScript) to the instances the stack tagged `dskit-sandbox=<name>` (found with
 * the Resource Groups Tagging API, each named by its `dskit-display-name` tag); the instance role's
 * AmazonSSMManagedInstanceCore is all the VM side needs. Events are counted with Athena in the
 * sandbox's workgroup, over the stack's own source relation (athenaEventsSource).
 *
 * The SDK clients are required here, and this file only by the exercise command. Credentials and
 * endpoints come from the SDK's usual chain (AWS_PROFILE, AWS_ENDPOINT_URL, ...).
 *
 * API facts this relies on (AWS API references): SendCommand takes at most 50 InstanceIds and a
 * Comment of at most 100 characters; GetCommandInvocation answers InvocationDoesNotExist until the
 * invocation is registered, then Pending | InProgress | Delayed | Cancelling (not final) or
 * Success | Failed | TimedOut | Cancelled (final), with StatusDetails (e.g. Undeliverable,
 * DeliveryTimedOut, ExecutionTimedOut) and the first 24,000 characters of standard output;
 * Athena queries go QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED, and GetQueryResults pages
 * by NextToken with the column names as the first row of the first page.
 */
import { randomUUID } from 'node:crypto';
import { SANDBOX_TAG, type SandboxConfig } from '../config';
import type { ModuleKey, Platform } from './catalogue';
import { resultLines } from './protocol';
import { COUNT_COLUMNS, eventCountOf, eventCountSql, type EventCount, type EventWindow } from './query';
import type { EventSink, TriggerAnswer, TriggerChannel, TriggerRequest } from './run';
import { triggerScript } from './scripts';

/** The tag every sandbox instance carries with its display name (lib/aws/sandbox-vm.ts). */
export const DISPLAY_NAME_TAG = 'dskit-display-name';
const MAX_INSTANCES_PER_COMMAND = 50;
/** How long the script itself may run on the VM (the triggers take about 30 s at most). */
const EXECUTION_TIMEOUT_SECONDS = 180;
const FINAL_STATUSES = ['Success', 'Failed', 'TimedOut', 'Cancelled'];
/** Athena: how long one count may take before the poll gives up on it. */
const QUERY_TIMEOUT_MS = 120_000;

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An SDK error as one line that says what to do. */
export function awsProblem(err: unknown, needs: string): string {
  const e = err as { name?: string; message?: string; code?: string };
  const name = e.name ?? 'Error';
  const message = oneLine(e.message ?? String(err));
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return `no AWS credentials (${message}); set AWS_PROFILE or run \`aws sso login\`, then re-run`;
  }
  if (/AccessDenied|UnauthorizedOperation|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(name)) {
    return `${name}: ${message}; use credentials allowed ${needs}`;
  }
  return `${name}: ${message}`;
}

interface Invocation {
  readonly displayName: string;
  readonly instanceId: string;
  readonly commandId: string;
  readonly modules: readonly ModuleKey[];
  done: boolean;
}

export class SsmChannel implements TriggerChannel {
  readonly cloud = 'aws' as const;
  private readonly queued: TriggerAnswer[] = [];
  private readonly invocations: Invocation[] = [];
  private ssm?: import('@aws-sdk/client-ssm').SSMClient;

  constructor(private readonly config: SandboxConfig) {}

  private get region(): string {
    return this.config.aws!.region;
  }

  async start(run: string, requests: readonly TriggerRequest[], deadline: number): Promise<void> {
    const fail = (names: readonly string[], reason: string) => {
      for (const displayName of names) this.queued.push({ displayName, kind: 'failed', reason });
    };
    let instances: Map<string, string[]>;
    try {
      instances = await this.sandboxInstances();
    } catch (err) {
      return fail(requests.map((r) => r.target.displayName), `cannot list the sandbox's instances: ${awsProblem(err, `tag:GetResources in ${this.region}`)}`);
    }
    const ssmModule = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
    this.ssm = new ssmModule.SSMClient({ region: this.region });
    const allIds = [...instances.values()].flat();
    let online: Map<string, { ping: string; platform?: string }>;
    try {
      online = await this.registrations(allIds);
    } catch (err) {
      return fail(requests.map((r) => r.target.displayName), `cannot read the SSM registrations: ${awsProblem(err, `ssm:DescribeInstanceInformation in ${this.region}`)}`);
    }
    // One instance per VM: the one SSM can reach (a replaced VM may leave a terminated one behind).
    const chosen: { request: TriggerRequest; instanceId: string }[] = [];
    for (const request of requests) {
      const ids = instances.get(request.target.displayName) ?? [];
      if (ids.length === 0) {
        fail([request.target.displayName], `no running instance tagged ${DISPLAY_NAME_TAG}=${request.target.displayName} (is the stack deployed?)`);
        continue;
      }
      const reachable = ids.find((id) => online.get(id)?.ping === 'Online');
      if (!reachable) {
        const seen = ids.map((id) => `${id}: ${online.get(id)?.ping ?? 'not registered'}`).join(', ');
        fail(
          [request.target.displayName],
          `SSM cannot reach the instance (${seen}): Run Command needs the SSM agent running and online ` +
            '(AWS preinstalls it on Amazon Linux, Ubuntu and Windows Server images; on Debian and RHEL images install amazon-ssm-agent)',
        );
        continue;
      }
      chosen.push({ request, instanceId: reachable });
    }
    // One command per platform and module list, 50 instances at a time.
    const groups = new Map<string, { platform: Platform; modules: readonly ModuleKey[]; items: typeof chosen }>();
    for (const c of chosen) {
      const key = `${c.request.target.platform}:${c.request.modules.join(',')}`;
      const g = groups.get(key) ?? { platform: c.request.target.platform, modules: c.request.modules, items: [] };
      g.items.push(c);
      groups.set(key, g);
    }
    const deliverySeconds = Math.max(30, Math.min(3600, Math.floor((deadline - Date.now()) / 1000)));
    for (const g of groups.values()) {
      const script = triggerScript(g.platform, run, g.modules, this.config.manager.proxy);
      for (let i = 0; i < g.items.length; i += MAX_INSTANCES_PER_COMMAND) {
        const batch = g.items.slice(i, i + MAX_INSTANCES_PER_COMMAND);
        try {
          const res = await this.ssm.send(
            new ssmModule.SendCommandCommand({
              DocumentName: g.platform === 'linux' ? 'AWS-RunShellScript' : 'AWS-RunPowerShellScript',
              InstanceIds: batch.map((b) => b.instanceId),
              Parameters: { commands: script.split('\n'), executionTimeout: [String(EXECUTION_TIMEOUT_SECONDS)] },
              TimeoutSeconds: deliverySeconds,
              Comment: `dskit exercise ${run}`.slice(0, 100),
              // Every instance gets the command even when another's fails.
              MaxConcurrency: '100%',
              MaxErrors: '100%',
            }),
          );
          const commandId = res.Command?.CommandId;
          if (!commandId) throw new Error('SendCommand answered without a CommandId');
          for (const b of batch) {
            this.invocations.push({ displayName: b.request.target.displayName, instanceId: b.instanceId, commandId, modules: g.modules, done: false });
            this.queued.push({ displayName: b.request.target.displayName, kind: 'progress', detail: `Run Command ${commandId} sent to ${b.instanceId}` });
          }
        } catch (err) {
          fail(batch.map((b) => b.request.target.displayName), `Run Command was refused: ${awsProblem(err, `ssm:SendCommand in ${this.region}`)}`);
        }
      }
    }
  }

  async poll(): Promise<TriggerAnswer[]> {
    const out = this.queued.splice(0);
    if (!this.ssm) return out;
    const ssmModule = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
    for (const inv of this.invocations.filter((i) => !i.done)) {
      let r: import('@aws-sdk/client-ssm').GetCommandInvocationCommandOutput;
      try {
        r = await this.ssm.send(new ssmModule.GetCommandInvocationCommand({ CommandId: inv.commandId, InstanceId: inv.instanceId }));
      } catch (err) {
        // Registered a moment after SendCommand answers.
        if ((err as { name?: string }).name === 'InvocationDoesNotExist') continue;
        throw new Error(awsProblem(err, `ssm:GetCommandInvocation in ${this.region}`));
      }
      const status = r.Status ?? 'Pending';
      if (!FINAL_STATUSES.includes(status)) {
        out.push({ displayName: inv.displayName, kind: 'progress', detail: `Run Command ${status}${r.StatusDetails && r.StatusDetails !== status ? ` (${r.StatusDetails})` : ''}` });
        continue;
      }
      inv.done = true;
      const results = resultLines(r.StandardOutputContent ?? '');
      for (const result of results) out.push({ displayName: inv.displayName, kind: 'result', result });
      if (status !== 'Success' || results.length < inv.modules.length) {
        const stderr = (r.StandardErrorContent ?? '').trim().split('\n').pop() ?? '';
        out.push({
          displayName: inv.displayName,
          kind: 'failed',
          reason: `Run Command ${status} (${r.StatusDetails ?? status}, exit ${r.ResponseCode ?? '?'})${stderr ? `: ${oneLine(stderr).slice(0, 300)}` : ''}`,
        });
      }
    }
    return out;
  }

  async finish(): Promise<string[]> {
    this.ssm?.destroy();
    return [];
  }

  /** Display name → the ids of the instances tagged with it. */
  private async sandboxInstances(): Promise<Map<string, string[]>> {
    const tagging = require('@aws-sdk/client-resource-groups-tagging-api') as typeof import('@aws-sdk/client-resource-groups-tagging-api');
    const client = new tagging.ResourceGroupsTaggingAPIClient({ region: this.region });
    const out = new Map<string, string[]>();
    try {
      let token: string | undefined;
      do {
        const page = await client.send(
          new tagging.GetResourcesCommand({
            TagFilters: [{ Key: SANDBOX_TAG, Values: [this.config.name] }],
            ResourceTypeFilters: ['ec2:instance'],
            ResourcesPerPage: 100,
            PaginationToken: token,
          }),
        );
        for (const m of page.ResourceTagMappingList ?? []) {
          const id = /:instance\/(i-[0-9a-f]+)$/.exec(m.ResourceARN ?? '')?.[1];
          const name = m.Tags?.find((t) => t.Key === DISPLAY_NAME_TAG)?.Value;
          if (id && name) out.set(name, [...(out.get(name) ?? []), id]);
        }
        token = page.PaginationToken || undefined;
      } while (token);
    } finally {
      client.destroy();
    }
    return out;
  }

  /** Instance id → SSM ping status and platform, for those SSM knows. */
  private async registrations(ids: readonly string[]): Promise<Map<string, { ping: string; platform?: string }>> {
    const ssmModule = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
    const out = new Map<string, { ping: string; platform?: string }>();
    for (let i = 0; i < ids.length; i += MAX_INSTANCES_PER_COMMAND) {
      let token: string | undefined;
      do {
        const page = await this.ssm!.send(
          new ssmModule.DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: ids.slice(i, i + MAX_INSTANCES_PER_COMMAND) }],
            MaxResults: 50,
            NextToken: token,
          }),
        );
        for (const info of page.InstanceInformationList ?? []) {
          if (info.InstanceId) out.set(info.InstanceId, { ping: info.PingStatus ?? 'unknown', platform: info.PlatformType });
        }
        token = page.NextToken || undefined;
      } while (token);
    }
    return out;
  }
}

export interface AthenaNames {
  readonly workGroup: string;
  readonly database: string;
  readonly table: string;
  readonly logGroup: string;
}

export class AthenaSink implements EventSink {
  readonly cloud = 'aws' as const;
  readonly name: string;
  readonly pipeline: string;
  private client?: import('@aws-sdk/client-athena').AthenaClient;

  constructor(
    private readonly region: string,
    private readonly names: AthenaNames,
    /** The stack's source relation (lib/aws/athena-analytics athenaEventsSource). */
    private readonly source: string,
  ) {
    this.name = `Athena workgroup ${names.workGroup}`;
    this.pipeline = `agent syslog → rsyslog → CloudWatch Logs ${names.logGroup} → Firehose → S3 → Glue table ${names.database}.${names.table}`;
  }

  async count(window: EventWindow): Promise<EventCount[]> {
    const athena = require('@aws-sdk/client-athena') as typeof import('@aws-sdk/client-athena');
    this.client ??= new athena.AthenaClient({ region: this.region });
    const needs = `athena:StartQueryExecution/GetQueryExecution/GetQueryResults on workgroup ${this.names.workGroup}, glue:GetTable and s3 read on the events and results buckets`;
    let id: string | undefined;
    try {
      const started = await this.client.send(
        new athena.StartQueryExecutionCommand({
          QueryString: eventCountSql('athena', this.source, window),
          WorkGroup: this.names.workGroup,
          QueryExecutionContext: { Database: this.names.database },
          ClientRequestToken: randomUUID(),
        }),
      );
      id = started.QueryExecutionId;
    } catch (err) {
      throw new Error(awsProblem(err, needs));
    }
    if (!id) throw new Error('StartQueryExecution answered without a QueryExecutionId');
    const giveUp = Date.now() + QUERY_TIMEOUT_MS;
    for (let pause = 200; ; pause = Math.min(pause * 2, 2000)) {
      let state: string | undefined;
      let reason: string | undefined;
      try {
        const q = await this.client.send(new athena.GetQueryExecutionCommand({ QueryExecutionId: id }));
        state = q.QueryExecution?.Status?.State;
        reason = q.QueryExecution?.Status?.StateChangeReason;
      } catch (err) {
        throw new Error(awsProblem(err, needs));
      }
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`Athena query ${id} ${state}: ${oneLine(reason ?? 'no reason given')}`);
      if (Date.now() > giveUp) throw new Error(`Athena query ${id} still ${state ?? 'unknown'} after ${QUERY_TIMEOUT_MS / 1000} s`);
      await sleep(pause);
    }
    const rows: EventCount[] = [];
    let token: string | undefined;
    let columns: string[] | undefined;
    do {
      let page: import('@aws-sdk/client-athena').GetQueryResultsCommandOutput;
      try {
        page = await this.client.send(new athena.GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }));
      } catch (err) {
        throw new Error(awsProblem(err, needs));
      }
      const first = columns === undefined;
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const missing = COUNT_COLUMNS.filter((c) => !columns!.includes(c));
      if (missing.length) throw new Error(`Athena query ${id} answered without columns ${missing.join(', ')}`);
      // The first row of the first page repeats the column names.
      for (const r of (page.ResultSet?.Rows ?? []).slice(first ? 1 : 0)) {
        const values = r.Data ?? [];
        rows.push(eventCountOf(Object.fromEntries(columns.map((c, i) => [c, values[i]?.VarCharValue ?? null]))));
      }
      token = page.NextToken || undefined;
    } while (token);
    return rows;
  }
}

/** The AWS side of an exercise, from the config alone (names as lib/aws/names.ts derives them). */
export function awsExercise(config: SandboxConfig): { channel: SsmChannel; sink: AthenaSink } {
  // Required here: aws-cdk-lib is loaded only when an AWS exercise runs.
  const names = require('../aws/names') as typeof import('../aws/names');
  const { athenaEventsSource } = require('../aws/athena-analytics') as typeof import('../aws/athena-analytics');
  const n = names.sandboxNames(config);
  const sink = new AthenaSink(
    config.aws!.region,
    { workGroup: n.athenaWorkGroup, database: n.glueDatabase, table: n.eventsTable, logGroup: n.eventsLogGroup },
    athenaEventsSource(n.glueDatabase, n.eventsTable),
  );
  return { channel: new SsmChannel(config), sink };
}
