import { Construct } from 'constructs';
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { BigqueryTable } from '@cdktf/provider-google/lib/bigquery-table';
import { LoggingProjectExclusion } from '@cdktf/provider-google/lib/logging-project-exclusion';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { REPORTS, reportSql, type ReportId } from '../events';
import { EVENTS_LOG_NAME, EVENTS_TABLE_ID, reportViewId, sandboxNamePrefix } from './names';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The columns the Log Router sink writes for a `ds-events` entry from the Ops Agent: LogEntry's
 * field names as they are, label keys with the characters BigQuery refuses turned into `_`
 * ("BigQuery schema for logs", https://cloud.google.com/logging/docs/export/bigquery). Its syslog
 * receiver parses nothing: the whole line lands in `jsonPayload.message`. `textPayload` is kept
 * for entries written another way (e.g. `gcloud logging write`). The sink adds any further
 * field it meets; these are the ones the views read, with the types the sink uses.
 */
export const EVENTS_TABLE_SCHEMA = [
  { name: 'timestamp', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: 'receiveTimestamp', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: 'logName', type: 'STRING', mode: 'NULLABLE' },
  { name: 'insertId', type: 'STRING', mode: 'NULLABLE' },
  { name: 'severity', type: 'STRING', mode: 'NULLABLE' },
  {
    name: 'resource',
    type: 'RECORD',
    mode: 'NULLABLE',
    fields: [
      { name: 'type', type: 'STRING', mode: 'NULLABLE' },
      {
        name: 'labels',
        type: 'RECORD',
        mode: 'NULLABLE',
        fields: [
          { name: 'instance_id', type: 'STRING', mode: 'NULLABLE' },
          { name: 'zone', type: 'STRING', mode: 'NULLABLE' },
          { name: 'project_id', type: 'STRING', mode: 'NULLABLE' },
        ],
      },
    ],
  },
  {
    name: 'labels',
    type: 'RECORD',
    mode: 'NULLABLE',
    // `compute.googleapis.com/resource_name` with the characters BigQuery refuses as `_`.
    fields: [{ name: 'compute_googleapis_com_resource_name', type: 'STRING', mode: 'NULLABLE' }],
  },
  { name: 'jsonPayload', type: 'RECORD', mode: 'NULLABLE', fields: [{ name: 'message', type: 'STRING', mode: 'NULLABLE' }] },
  { name: 'textPayload', type: 'STRING', mode: 'NULLABLE' },
] as const;

/**
 * The relation every report view reads: the raw syslog line and the event time, the contract of
 * lib/events' `reportSql(id, dialect, source)`.
 */
export function eventsSourceSql(project: string, datasetId: string): string {
  return (
    '(SELECT COALESCE(jsonPayload.message, textPayload) AS line, `timestamp` AS event_time ' +
    `FROM \`${project}.${datasetId}.${EVENTS_TABLE_ID}\`)`
  );
}

/** A Cloud Logging filter for the `ds-events` log of the named instances only. */
export function eventsSinkFilter(project: string, instanceNames: readonly string[], sandboxName: string): string {
  const log = `logName="projects/${project}/logs/${EVENTS_LOG_NAME}" AND resource.type="gce_instance"`;
  const label = 'labels."compute.googleapis.com/resource_name"';
  // No VMs yet: still confine the sink to this sandbox's naming, so it never routes another's events.
  if (instanceNames.length === 0) return `${log} AND ${label}=~"^${sandboxName}-gcp-"`;
  return `${log} AND (${instanceNames.map((n) => `${label}="${n}"`).join(' OR ')})`;
}

export interface SandboxEventsProps {
  readonly sandboxName: string;
  readonly project: string;
  /** BigQuery location: the sandbox's region. */
  readonly location: string;
  readonly datasetId: string;
  /** Partition expiry of the events table, from `events.retentionDays`. */
  readonly retentionDays: number;
  /** The sandbox's instances; the sink routes their `ds-events` entries only. */
  readonly instanceNames: readonly string[];
  /** Labels for the dataset and tables (keys and values GCP-valid). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * DS events from Cloud Logging into BigQuery (SPEC §5): a dataset deleted with its contents, the
 * sink's destination table created up front, a Log Router sink with its own writer identity,
 * that identity's write access to this dataset only, and one view per report of lib/events.
 *
 * The destination table is created here rather than by the sink: the sink only creates it at the
 * first log entry, and a view cannot be created over a table that does not exist yet.
 */
export class SandboxEvents extends Construct {
  public readonly dataset: BigqueryDataset;
  public readonly eventsTable: BigqueryTable;
  public readonly sink: LoggingProjectSink;
  public readonly sinkWriterAccess: BigqueryDatasetIamMember;
  /** Keeps the entries out of the project's `_Default` log bucket, where they would outlive teardown. */
  public readonly defaultSinkExclusion: LoggingProjectExclusion;
  public readonly views: Readonly<Record<ReportId, BigqueryTable>>;
  /** The subquery the views read (`line`, `event_time`). */
  public readonly sourceSql: string;

  constructor(scope: Construct, id: string, props: SandboxEventsProps) {
    super(scope, id);
    validate(props);
    const retentionMs = props.retentionDays * DAY_MS;

    this.dataset = new BigqueryDataset(this, 'dataset', {
      project: props.project,
      datasetId: props.datasetId,
      location: props.location,
      description: `Deep Security events of dskit sandbox ${props.sandboxName}`,
      defaultPartitionExpirationMs: retentionMs,
      // `cdktf destroy` leaves nothing behind, events included (SPEC §1.4).
      deleteContentsOnDestroy: true,
      labels: { ...props.labels },
    });

    this.eventsTable = new BigqueryTable(this, 'events-table', {
      project: props.project,
      datasetId: props.datasetId,
      tableId: EVENTS_TABLE_ID,
      description: `Log Router sink destination: the ${EVENTS_LOG_NAME} log`,
      schema: JSON.stringify(EVENTS_TABLE_SCHEMA),
      // The sink partitions by the entry's timestamp, by day.
      timePartitioning: { type: 'DAY', field: 'timestamp', expirationMs: retentionMs },
      deletionProtection: false,
      labels: { ...props.labels },
      // The sink adds columns as entries bring new fields; a plan must not try to drop them.
      lifecycle: { ignoreChanges: ['schema'] },
      dependsOn: [this.dataset],
    });

    const sinkName = `${sandboxNamePrefix(props.sandboxName)}${EVENTS_LOG_NAME}`;
    const filter = eventsSinkFilter(props.project, props.instanceNames, props.sandboxName);
    this.sink = new LoggingProjectSink(this, 'sink', {
      project: props.project,
      name: sinkName,
      description: `dskit sandbox ${props.sandboxName}: Deep Security events to BigQuery`,
      destination: `bigquery.googleapis.com/projects/${props.project}/datasets/${props.datasetId}`,
      filter,
      uniqueWriterIdentity: true,
      bigqueryOptions: { usePartitionedTables: true },
      // The table must exist before the first entry, or the sink creates its own and ours collides.
      dependsOn: [this.eventsTable],
    });

    // Without it the _Default sink also stores every entry in the _Default bucket (30 days), out of
    // teardown's reach. A project exclusion applies to the _Default sink only ("Creates a new
    // exclusion in the _Default sink", Logging API projects.exclusions.create; provider 6.50
    // website/docs/r/logging_project_exclusion.html.markdown), so this sink still gets them, and
    // `cdktf destroy` deletes it again. After the sink: no entry is dropped from both.
    this.defaultSinkExclusion = new LoggingProjectExclusion(this, 'default-sink-exclusion', {
      project: props.project,
      name: sinkName,
      description: `dskit sandbox ${props.sandboxName}: its ${EVENTS_LOG_NAME} entries go to BigQuery only, not to the _Default bucket`,
      filter,
      dependsOn: [this.sink],
    });

    this.sinkWriterAccess = new BigqueryDatasetIamMember(this, 'sink-writer', {
      project: props.project,
      datasetId: props.datasetId,
      role: 'roles/bigquery.dataEditor',
      member: this.sink.writerIdentity,
      dependsOn: [this.dataset],
    });

    this.sourceSql = eventsSourceSql(props.project, props.datasetId);
    const views = {} as Record<ReportId, BigqueryTable>;
    for (const report of REPORTS) {
      views[report.id] = new BigqueryTable(this, `view-${report.id}`, {
        project: props.project,
        datasetId: props.datasetId,
        tableId: reportViewId(report.id),
        friendlyName: report.title,
        description: report.description,
        view: { query: reportSql(report.id, 'bigquery', this.sourceSql), useLegacySql: false },
        deletionProtection: false,
        labels: { ...props.labels },
        dependsOn: [this.eventsTable],
      });
    }
    this.views = views;
  }
}

function validate(props: SandboxEventsProps): void {
  if (!/^[A-Za-z0-9_]{1,1024}$/.test(props.datasetId)) {
    throw new Error(`BigQuery dataset id: got "${props.datasetId}"; allowed: letters, digits and _ only`);
  }
  if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
    throw new Error(`events.retentionDays: got ${props.retentionDays}; allowed: a whole number of days, 1 or more`);
  }
  for (const name of props.instanceNames) {
    if (!/^[a-z][-a-z0-9]*$/.test(name)) throw new Error(`instance name: got "${name}"; allowed: [a-z][-a-z0-9]* (it is quoted in the sink filter)`);
  }
}
