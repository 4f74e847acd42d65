/**
 * The named queries' reports over event files laid out exactly as Firehose writes them
 * (`events/<yyyy>/<MM>/<dd>/<HH>/*.gz`, one raw line per line), read back the way the Glue table
 * does (partition `datehour` from the folder) and queried through the stack's own Athena source
 * relation. Run locally in DuckDB, with Trino's `date_parse` defined as a macro so the source
 * subquery is the one the stack passes to lib/events, verbatim.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { athenaEventsSource, PARTITION_COLUMN } from '../../lib/aws/athena-analytics';
import { EVENTS_TABLE_NAME, glueDatabaseName } from '../../lib/aws/names';
import { reportSql, type ReportId } from '../../lib/events';

const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

/** Files by hour folder; each line as the agent sent it, behind rsyslog's header. */
const FILES: Record<string, string[]> = {
  '2024/11/27/05': [
    `<134>Nov 27 05:01:00 ip-10-60-0-10 ${CEF}|21|Deny Inbound Management|5|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 act=Deny src=203.0.113.7 dst=10.60.0.10 proto=TCP spt=45856 dpt=22`,
    // An escaped \= inside a value with spaces must not yield a second `src`.
    `<134>Nov 27 05:02:00 ip-10-60-0-10 ${CEF}|100|Out Of Connection|5|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 msg=probe from src\\=192.0.2.99 seen act=Deny src=203.0.113.7 dst=10.60.0.10 proto=TCP spt=50000 dpt=3389`,
    // LEEF 2.0, tab-delimited, the way DS sends it.
    `<134>1 2024-11-27T05:03:00Z ip-10-60-0-10 ds_agent - - - LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.690|1008610|cat=Intrusion Prevention\tname=Block Administrative Share\tsev=8\tcn1=101\tdvchost=ds-eval-aws-web-1\tact=IDS:Reset\tsrc=198.51.100.20\tdst=10.60.0.10\tproto=TCP\tsrcPort=51515\tdstPort=445`,
  ],
  '2024/11/27/06': [
    `<134>Nov 27 06:10:00 ip-10-60-0-10 ${CEF}|1008610|Block Administrative Share|8|cn1=101 cn1Label=Host ID dvchost=ds-eval-aws-web-1 cs1=share C:\\\\Windows x\\=1 cs1Label=Intrusion Prevention Note src=198.51.100.20 dst=10.60.0.10 proto=TCP spt=51999 dpt=445 act=IDS:Reset`,
    'rsyslogd: a line that is not a DS event',
  ],
};

const DATABASE = glueDatabaseName('ds-eval');

async function rows(conn: DuckDBConnection, id: ReportId): Promise<Record<string, unknown>[]> {
  const sql = reportSql(id, 'duckdb', athenaEventsSource(DATABASE, EVENTS_TABLE_NAME));
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

describe('Athena reports over Firehose-shaped event files', () => {
  let dir: string;
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  const result: Partial<Record<ReportId, Record<string, unknown>[]>> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-athena-'));
    for (const [hour, lines] of Object.entries(FILES)) {
      const folder = path.join(dir, 'events', ...hour.split('/'));
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, 'ds-eval-1.gz'), zlib.gzipSync(lines.map((l) => `${l}\n`).join('')));
    }
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(`CREATE MACRO date_parse(s, f) AS strptime(s, f)`);
    await conn.run(`CREATE SCHEMA ${DATABASE}`);
    const glob = path.join(dir, 'events', '*', '*', '*', '*', '*.gz').replace(/'/g, "''");
    await conn.run(
      `CREATE TABLE ${DATABASE}.${EVENTS_TABLE_NAME} AS
       SELECT line, regexp_extract(filename, 'events/(\\d{4}/\\d{2}/\\d{2}/\\d{2})/', 1) AS ${PARTITION_COLUMN}
       FROM read_csv('${glob}', columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, filename = true)`,
    );
    for (const id of ['top-source-ips', 'top-destination-ports', 'firewall-denies', 'ips-rules-hit', 'events-per-host-hour'] as const) {
      result[id] = await rows(conn, id);
    }
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the table holds every raw line, whole, with its hour folder', async () => {
    const reader = await conn.runAndReadAll(`SELECT ${PARTITION_COLUMN}, line FROM ${DATABASE}.${EVENTS_TABLE_NAME} ORDER BY ${PARTITION_COLUMN}, line`);
    const got = reader.getRowObjectsJS().map((r) => [r[PARTITION_COLUMN], r.line]);
    const want = Object.entries(FILES).flatMap(([hour, lines]) => [...lines].sort().map((l) => [hour, l]));
    expect(got).toEqual(want);
  });

  test('top source IPs: the escaped src\\= inside a value is not a source', () => {
    expect(result['top-source-ips']!.map((r) => [r.source_ip, r.events])).toEqual([
      ['198.51.100.20', 2],
      ['203.0.113.7', 2],
    ]);
    const fromLeef = result['top-source-ips']!.find((r) => r.source_ip === '198.51.100.20')!;
    // The event's own time from the line (issue 13 item 9), not the hour folder.
    expect([fromLeef.first_seen, fromLeef.last_seen]).toEqual([new Date('2024-11-27T05:03:00Z'), new Date('2024-11-27T06:10:00Z')]);
  });

  test('top destination ports, LEEF dstPort included', () => {
    expect(result['top-destination-ports']!.map((r) => [r.destination_port, r.protocol, r.events])).toEqual([
      [445, 'TCP', 2],
      [22, 'TCP', 1],
      [3389, 'TCP', 1],
    ]);
  });

  test('firewall denies by reason', () => {
    expect(result['firewall-denies']!.map((r) => [r.reason, r.action, r.events])).toEqual([
      ['Deny Inbound Management', 'Deny', 1],
      ['Out Of Connection', 'Deny', 1],
    ]);
  });

  test('IPS rules hit: CEF and LEEF hits of one rule, name with spaces', () => {
    expect(result['ips-rules-hit']!.map((r) => [r.rule_id, r.rule_name, r.action, r.events])).toEqual([[1008610, 'Block Administrative Share', 'IDS:Reset', 2]]);
  });

  test('events per host per hour: the hour is the Firehose folder the line landed in', () => {
    expect(result['events-per-host-hour']!.map((r) => [r.host, (r.hour as Date).toISOString(), r.events])).toEqual([
      ['ds-eval-aws-web-1', '2024-11-27T05:00:00.000Z', 3],
      ['ds-eval-aws-web-1', '2024-11-27T06:00:00.000Z', 1],
    ]);
  });
});
