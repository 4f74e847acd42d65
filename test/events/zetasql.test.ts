/**
 * Every BigQuery view the GCP stack synthesizes, through ZetaSQL (BigQuery's own analyzer and
 * evaluator; harness in support/zetasql.ts):
 *   - analyzed against the `ds_events` table as the Log Router sink writes it, with BigQuery's
 *     language options, both as the view query and as CREATE VIEW;
 *   - evaluated over the sample lines the DuckDB tests use, and required to give DuckDB's rows;
 *   - and the gate proven: a reserved word, a wrong column, or a function BigQuery lacks fails.
 */
import * as fs from 'node:fs';
import { eventsSql, REPORTS, reportSql, type ReportId } from '../../lib/events';
import { LINES_TABLE, OfflineEvents } from '../../lib/events/offline';
import { EVENTS_TABLE_ID, eventsDatasetId, reportViewId } from '../../lib/gcp/names';
import { EVENTS_TABLE_SCHEMA, eventsSourceSql } from '../../lib/gcp/events';
import { configWith } from '../helpers/config';
import { resourcesOf, synthGcp } from '../gcp/synth';
import { EDGE_CASES, NOISE, SAMPLES } from './samples';
import { bigQueryTable, ZetaSql, ZetaSqlError, type CatalogTable } from './support/zetasql';

const PROJECT = 'dskit-zeta-project';
const SANDBOX = 'ds-eval';
const DATASET = eventsDatasetId(SANDBOX);
const TABLE = `${PROJECT}.${DATASET}.${EVENTS_TABLE_ID}`;
const ZONE = 'asia-northeast1-a';

/** One `ds-events` entry as the sink writes it for the Ops Agent's syslog receiver. */
function sinkRow(line: string, time: string | null, index: number, payload: 'json' | 'text' = 'json'): Record<string, unknown> {
  return {
    timestamp: time,
    receiveTimestamp: time,
    logName: `projects/${PROJECT}/logs/ds-events`,
    insertId: `entry-${index}`,
    severity: 'DEFAULT',
    resource: { type: 'gce_instance', labels: { instance_id: String(4_000_000 + index), zone: ZONE, project_id: PROJECT } },
    labels: { compute_googleapis_com_resource_name: `${SANDBOX}-gcp-web-1` },
    jsonPayload: payload === 'json' ? { message: line } : null,
    textPayload: payload === 'text' ? line : null,
  };
}

/** The samples with their times; every third one written as textPayload (e.g. `gcloud logging write`). */
const SAMPLE_ROWS = [
  ...SAMPLES.map((s, i) => sinkRow(s.line, s.time, i, i % 3 === 2 ? 'text' : 'json')),
  ...NOISE.map((line, i) => sinkRow(line, '2024-11-27T05:00:01Z', 100 + i)),
];

const emptyTable = (): CatalogTable => bigQueryTable(TABLE, EVENTS_TABLE_SCHEMA);
const sampleTable = (rows = SAMPLE_ROWS): CatalogTable => bigQueryTable(TABLE, EVENTS_TABLE_SCHEMA, rows);
const byJson = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).sort();

let zeta: ZetaSql;
let duck: OfflineEvents;
/** view id → view query, from the synthesized Terraform JSON. */
let views: Record<string, string>;

beforeAll(async () => {
  const { tf } = synthGcp(
    configWith((raw) => {
      raw.name = SANDBOX;
      raw.gcp.project = PROJECT;
    }),
  );
  views = Object.fromEntries(
    resourcesOf(tf, 'google_bigquery_table')
      .filter((t) => t.view)
      .map((t) => [t.table_id, t.view.query as string]),
  );
  zeta = await ZetaSql.start();
  duck = await OfflineEvents.open();
  await duck.addLines([
    ...SAMPLES.map((s) => ({ line: s.line, eventTime: new Date(s.time) })),
    ...NOISE.map((line) => ({ line, eventTime: new Date('2024-11-27T05:00:01Z') })),
  ]);
});

afterAll(async () => {
  duck?.close();
  await zeta?.stop();
});

const viewOf = (id: ReportId) => views[reportViewId(id)];

describe('every BigQuery view analyzes in ZetaSQL with BigQuery\'s options', () => {
  test('the stack has one view per report, each reading the ds_events table', () => {
    expect(Object.keys(views).sort()).toEqual(REPORTS.map((r) => reportViewId(r.id)).sort());
    for (const r of REPORTS) expect(viewOf(r.id)).toContain(`\`${TABLE}\``);
  });

  test.each(REPORTS.map((r) => [r.id]))('%s: the view query', async (id) => {
    await expect(zeta.analyze(viewOf(id as ReportId), [emptyTable()])).resolves.toBeUndefined();
  });

  test.each(REPORTS.map((r) => [r.id]))('%s: as CREATE VIEW', async (id) => {
    const ddl = `CREATE VIEW \`${PROJECT}.${DATASET}.${reportViewId(id)}\` AS\n${viewOf(id as ReportId)}`;
    await expect(zeta.analyze(ddl, [emptyTable()])).resolves.toBeUndefined();
  });
});

describe('every view gives DuckDB\'s rows over the sample lines', () => {
  let compared = 0;
  afterAll(() => {
    // Views analyzed and rows compared, for the issue note.
    process.stdout.write(`zetasql: ${REPORTS.length} views evaluated, ${compared} rows equal to DuckDB's\n`);
  });

  test.each(REPORTS.map((r) => [r.id]))('%s', async (id) => {
    const expected = [...(await duck.runReport(id as ReportId)).rows];
    const actual = await zeta.evaluate(viewOf(id as ReportId), [sampleTable()]);
    expect(expected.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
    compared += actual.length;
  });

  test('the parse of every line, edge cases too, is column for column DuckDB\'s', async () => {
    const lines = [...SAMPLES.map((s) => s.line), ...NOISE, ...EDGE_CASES];
    const rows = lines.map((line, i) => sinkRow(line, SAMPLES[i]?.time ?? null, i));
    await duck.addLines(EDGE_CASES.map((line) => ({ line, eventTime: null })));
    const duckRows = await duck.query(eventsSql('duckdb', LINES_TABLE));
    const zetaRows = await zeta.evaluate(eventsSql('bigquery', eventsSourceSql(PROJECT, DATASET)), [sampleTable(rows)]);
    expect(zetaRows.length).toBe(SAMPLES.length + EDGE_CASES.length - 1); // one edge case has no event header
    expect(byJson(zetaRows)).toEqual(byJson(duckRows));
    compared += zetaRows.length;
  });
});

describe('the gate: what BigQuery refuses, ZetaSQL refuses here', () => {
  const view = () => viewOf('top-destination-ports');
  const refusal = async (sql: string) => {
    try {
      await zeta.analyze(sql, [emptyTable()]);
    } catch (err) {
      if (err instanceof ZetaSqlError) return err.message;
      throw err;
    }
    throw new Error(`ZetaSQL accepted:\n${sql}`);
  };

  test('`proto` unquoted (the column before it became `protocol`): Unexpected keyword PROTO', async () => {
    expect(view()).toMatch(/\bprotocol\b/);
    expect(await refusal(view().replace(/\bprotocol\b/g, 'proto'))).toMatch(/^Syntax error: Unexpected keyword PROTO/);
  });

  test('a column the sink does not write: jsonPayload.msg, text_payload', async () => {
    expect(await refusal(view().replace('jsonPayload.message', 'jsonPayload.msg'))).toMatch(/Field name msg does not exist in STRUCT<message STRING>/);
    expect(await refusal(view().replace('textPayload', 'text_payload'))).toMatch(/Unrecognized name: text_payload/);
  });

  test('functions BigQuery lacks: DuckDB\'s regexp_matches, Trino\'s regexp_like, try_cast', async () => {
    expect(view()).toContain('REGEXP_CONTAINS(');
    expect(await refusal(view().replace(/REGEXP_CONTAINS\(/g, 'regexp_matches('))).toMatch(/Function not found: regexp_matches/);
    expect(await refusal(view().replace(/REGEXP_CONTAINS\(/g, 'regexp_like('))).toMatch(/Function not found: regexp_like/);
    expect(await refusal(view().replace(/SAFE_CAST\(/g, 'try_cast('))).toMatch(/Unexpected function call argument alias found at try_cast/);
  });

  test.each([['athena'], ['duckdb']] as const)('the %s rendering of a report is refused as BigQuery SQL', async (dialect) => {
    const sql = reportSql('events-per-host-hour', dialect, eventsSourceSql(PROJECT, DATASET));
    expect(await refusal(sql)).toMatch(/Function not found|Syntax error/);
  });

  test('BigQuery\'s language options, not every ZetaSQL feature: external types only, no WITH expressions', async () => {
    expect(await refusal('SELECT CAST(1 AS INT32)')).toMatch(/Type not found: INT32/);
    expect(await refusal('SELECT WITH(a AS 1, a + 1)')).toMatch(/WITH expressions are not enabled/);
    // ...while what BigQuery has is there: QUALIFY, SAFE_CAST, TIMESTAMP_TRUNC, raw strings.
    await expect(
      zeta.analyze(
        "SELECT x FROM UNNEST([1, 2]) AS x WHERE SAFE_CAST('1' AS INT64) = 1 AND REGEXP_CONTAINS('a', r'\\w') " +
          'AND TIMESTAMP_TRUNC(CURRENT_TIMESTAMP(), HOUR) IS NOT NULL QUALIFY ROW_NUMBER() OVER (ORDER BY x) = 1',
        [],
      ),
    ).resolves.toBeUndefined();
  });
});

describe('the ZetaSQL server', () => {
  /** Listening sockets (state 0A) on `port`, as their local addresses in /proc/net/tcp{,6}. */
  function listeners(port: number): string[] {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
        .map((f) => f[1].split(':')[0]),
    );
  }
  const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000']);

  test('listens on loopback only', () => {
    const addresses = listeners(zeta.port);
    expect(addresses.length).toBeGreaterThan(0);
    for (const a of addresses) expect(LOOPBACK.has(a)).toBe(true);
  });

  test('stop() leaves no process behind', async () => {
    const other = await ZetaSql.start();
    const pid = other.pid!;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await other.stop();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});
