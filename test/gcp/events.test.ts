import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { REPORTS, reportSql } from '../../lib/events';
import { eventsSourceSql } from '../../lib/gcp/events';
import { configWith } from '../helpers/config';
import { onlyResource, resourcesOf, synthGcp, type Synthesized } from './synth';

Testing.setupJest();

const PROJECT = 'acme-ds-lab';
const DATASET = 'dskit_lab_events';
const address = (s: Synthesized, type: string, match: (r: any) => boolean) => {
  const [key] = Object.entries(s.tf.resource[type] ?? {}).find(([, r]) => match(r)) ?? [];
  if (!key) throw new Error(`no ${type} matched`);
  return `${type}.${key}`;
};

describe('GCP events: Cloud Logging → BigQuery', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(
      configWith((r) => {
        r.name = 'lab';
        r.events.retentionDays = 7;
        r.gcp.project = PROJECT;
        r.gcp.vms = [
          { name: 'web', os: 'debian-12', count: 2 },
          { name: 'win', os: 'windows-2022' },
        ];
      }),
    );
  });

  test('the dataset is deleted with its contents; partitions expire after retentionDays', () => {
    expect(onlyResource(s.tf, 'google_bigquery_dataset')).toMatchObject({
      dataset_id: DATASET,
      project: PROJECT,
      location: 'asia-northeast1',
      delete_contents_on_destroy: true,
      default_partition_expiration_ms: 7 * 24 * 3600 * 1000,
    });
  });

  test('the sink writes to that dataset, partitioned, with its own writer identity', () => {
    expect(s.json).toHaveResourceWithProperties(LoggingProjectSink, {
      destination: `bigquery.googleapis.com/projects/${PROJECT}/datasets/${DATASET}`,
      unique_writer_identity: true,
      bigquery_options: { use_partitioned_tables: true },
    });
  });

  test('the sink routes the ds-events log of exactly this sandbox instances', () => {
    const { filter } = onlyResource(s.tf, 'google_logging_project_sink');
    expect(filter).toContain(`logName="projects/${PROJECT}/logs/ds-events"`);
    const names = [...filter.matchAll(/labels\."compute\.googleapis\.com\/resource_name"="([^"]+)"/g)].map((m: RegExpMatchArray) => m[1]);
    expect(names.sort()).toEqual(['lab-gcp-web-1', 'lab-gcp-web-2', 'lab-gcp-win-1']);
    // The instance list is one OR group, ANDed with the log name.
    expect(filter).toMatch(/ AND \(labels\.[^()]+ OR [^()]+\)$/);
  });

  test('the sink writer identity, and only it, gets dataEditor on this dataset only', () => {
    const sink = address(s, 'google_logging_project_sink', () => true);
    const grants = resourcesOf(s.tf, 'google_bigquery_dataset_iam_member');
    expect(grants).toEqual([
      expect.objectContaining({ dataset_id: DATASET, role: 'roles/bigquery.dataEditor', member: `\${${sink}.writer_identity}` }),
    ]);
    const projectRoles = resourcesOf(s.tf, 'google_project_iam_member').map((m) => m.role);
    expect(projectRoles).not.toContain('roles/bigquery.dataEditor');
  });

  test('the sink destination table exists before the sink and the views, partitioned by timestamp', () => {
    const tables = resourcesOf(s.tf, 'google_bigquery_table');
    const events = tables.find((t) => t.table_id === 'ds_events');
    expect(events).toMatchObject({
      dataset_id: DATASET,
      deletion_protection: false,
      time_partitioning: { type: 'DAY', field: 'timestamp', expiration_ms: 7 * 24 * 3600 * 1000 },
      lifecycle: { ignore_changes: ['schema'] },
    });
    const columns = JSON.parse(events.schema).map((c: { name: string }) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['timestamp', 'logName', 'jsonPayload', 'textPayload', 'resource', 'labels']));
    const message = JSON.parse(events.schema).find((c: { name: string }) => c.name === 'jsonPayload').fields;
    expect(message).toEqual([{ name: 'message', type: 'STRING', mode: 'NULLABLE' }]);

    const eventsAddress = address(s, 'google_bigquery_table', (t) => t.table_id === 'ds_events');
    expect(onlyResource(s.tf, 'google_logging_project_sink').depends_on).toContain(eventsAddress);
    for (const view of tables.filter((t) => t.view)) expect(view.depends_on).toContain(eventsAddress);
  });

  test('one view per shared report, its SQL exactly lib/events reportSql over the events table', () => {
    const views = resourcesOf(s.tf, 'google_bigquery_table').filter((t) => t.view);
    expect(views.map((v) => v.table_id).sort()).toEqual(REPORTS.map((r) => r.id.replace(/-/g, '_')).sort());
    const source = eventsSourceSql(PROJECT, DATASET);
    expect(source).toContain(`\`${PROJECT}.${DATASET}.ds_events\``);
    for (const report of REPORTS) {
      const view = views.find((v) => v.table_id === report.id.replace(/-/g, '_'));
      expect(view.view).toEqual({ query: reportSql(report.id, 'bigquery', source), use_legacy_sql: false });
      expect(view.deletion_protection).toBe(false);
    }
  });

  test('outputs: the dataset and the sink writer identity', () => {
    expect(s.tf.output.events_dataset.value).toMatch(new RegExp(`^${PROJECT}\\.\\$\\{google_bigquery_dataset\\.[^.]+\\.dataset_id\\}$`));
    expect(s.tf.output.sink_writer_identity.value).toBe(`\${${address(s, 'google_logging_project_sink', () => true)}.writer_identity}`);
  });
});

describe('GCP events with no VMs', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(configWith((r) => (r.gcp.vms = [])));
  });

  test('the sink still only routes names of this sandbox', () => {
    expect(onlyResource(s.tf, 'google_logging_project_sink').filter).toMatch(/labels\."compute\.googleapis\.com\/resource_name"=~"\^ds-eval-gcp-"$/);
    expect(resourcesOf(s.tf, 'google_compute_instance')).toEqual([]);
  });
});
