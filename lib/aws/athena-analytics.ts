/**
 * Athena over the raw event lines (SPEC §1.6, §5): a Glue table with one string column `line` and
 * an hourly partition that is projected (no crawler, no MSCK REPAIR), a workgroup with its own
 * results bucket, and one named query per report. The reports' SQL lives in lib/events so
 * BigQuery, the offline `dskit events query` and the tests share one definition.
 */
import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REPORTS, reportSql, type ReportId } from '../events';
import { EVENTS_HOUR_PREFIX_FORMAT } from './events-pipeline';
import { SandboxBucket } from './sandbox-bucket';

/** The projected partition column: the hour folder Firehose wrote the file under (UTC). */
export const PARTITION_COLUMN = 'datehour';

/**
 * The relation every report reads in Athena: the raw `line` and an `event_time` TIMESTAMP, the
 * hour Firehose received the line (UTC). The reports take the event's own time from the line and
 * fall back to this one (lib/events/relation.ts), as the offline reports do; it also dates BSD
 * timestamps, which carry no year.
 */
export function athenaEventsSource(database: string, table: string): string {
  return `(SELECT line, date_parse(${PARTITION_COLUMN}, '%Y/%m/%d/%H') AS event_time FROM "${database}"."${table}")`;
}

export interface AthenaAnalyticsProps {
  /** Where Firehose writes the event lines. */
  readonly eventsBucket: s3.IBucket;
  /** S3 prefix of the event files, ending in `/`. */
  readonly eventsPrefix: string;
  readonly databaseName: string;
  readonly tableName: string;
  readonly workGroupName: string;
  /** How far back the partition projection reaches, and the results bucket's expiry. */
  readonly retentionDays: number;
}

export class AthenaAnalytics extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly table: glue.CfnTable;
  public readonly resultsBucket: SandboxBucket;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: Readonly<Record<ReportId, athena.CfnNamedQuery>>;
  /** The relation the named queries read (see athenaEventsSource). */
  public readonly source: string;

  constructor(scope: Construct, id: string, props: AthenaAnalyticsProps) {
    super(scope, id);
    for (const [key, value] of [['databaseName', props.databaseName], ['tableName', props.tableName]] as const) {
      if (!/^[a-z_][a-z0-9_]{0,254}$/.test(value)) throw new Error(`AthenaAnalytics: ${key} "${value}" must be lower-case letters, digits and _`);
    }
    const account = Stack.of(this).account;
    const location = `s3://${props.eventsBucket.bucketName}/${props.eventsPrefix}`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: props.databaseName, description: 'dskit: Deep Security events of the sandbox' },
    });
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: props.databaseName,
      tableInput: {
        name: props.tableName,
        description: 'Raw DS agent syslog lines (CEF or LEEF), one per line, as Firehose wrote them',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: PARTITION_COLUMN, type: 'string' }],
        parameters: {
          classification: 'text',
          'projection.enabled': 'true',
          [`projection.${PARTITION_COLUMN}.type`]: 'date',
          [`projection.${PARTITION_COLUMN}.format`]: EVENTS_HOUR_PREFIX_FORMAT,
          [`projection.${PARTITION_COLUMN}.range`]: `NOW-${props.retentionDays}DAYS,NOW`,
          [`projection.${PARTITION_COLUMN}.interval`]: '1',
          [`projection.${PARTITION_COLUMN}.interval.unit`]: 'HOURS',
          'storage.location.template': `${location}\${${PARTITION_COLUMN}}/`,
        },
        storageDescriptor: {
          columns: [{ name: 'line', type: 'string', comment: 'the raw syslog line' }],
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
            // A delimiter that never occurs in syslog text keeps the whole line, tabs (LEEF) and all, in `line`.
            parameters: { 'field.delim': '\u0001', 'serialization.format': '\u0001' },
          },
        },
      },
    });
    this.table.addResourceDependency(this.database);

    this.resultsBucket = new SandboxBucket(this, 'Results', { expirationDays: props.retentionDays, purpose: 'Athena query results' });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'dskit: queries over the sandbox DS events',
      // `cdk destroy` must remove the workgroup even after it has run queries.
      recursiveDeleteOption: true,
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.source = athenaEventsSource(props.databaseName, props.tableName);
    const queries: Partial<Record<ReportId, athena.CfnNamedQuery>> = {};
    for (const report of REPORTS) {
      const q = new athena.CfnNamedQuery(this, `Query-${report.id}`, {
        name: report.title,
        description: report.description,
        database: props.databaseName,
        workGroup: this.workGroup.ref,
        queryString: reportSql(report.id, 'athena', this.source),
      });
      q.addResourceDependency(this.table);
      queries[report.id] = q;
    }
    this.namedQueries = queries as Record<ReportId, athena.CfnNamedQuery>;
  }
}
