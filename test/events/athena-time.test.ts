/**
 * Issue 13 item 9: Athena's named queries date an event by its own time from the line, falling
 * back to the hour folder Firehose wrote it under, exactly as the offline reports do: the same
 * Firehose-shaped files through the stack's own Athena source relation (in DuckDB, with Trino's
 * date_parse as a macro) and through `dskit events` give the same rows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { athenaEventsSource, PARTITION_COLUMN } from '../../lib/aws/athena-analytics';
import { reportSql } from '../../lib/events';
import { OfflineEvents, formatTime } from '../../lib/events/offline';

const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690|21|Deny All Inbound|5|cn1=101 dvchost=web-1 act=Deny src=203.0.113.7 proto=TCP dpt=22';
const FILES: Record<string, string[]> = {
  // Its own time (05:59) is an hour before the folder it landed in.
  '2024/11/27/06': [`<134>Nov 27 05:59:00 ip-10-60-0-10 ${CEF}`, `<134>1 2024-11-27T06:10:00Z web-1 ds_agent - - - ${CEF}`],
  // No time in the line: the folder's hour.
  '2024/11/27/07': [CEF],
  // A BSD line from New Year's Eve received after midnight: the year before the folder's.
  '2025/01/01/00': [`<134>Dec 31 23:59:30 ip-10-60-0-10 ${CEF}`],
};

describe('Athena event times: the line first, then the partition, as offline', () => {
  let dir: string;
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let athena: Array<Record<string, unknown>>;
  let offline: Array<Record<string, unknown>>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-athena-time-'));
    const files: string[] = [];
    for (const [hour, lines] of Object.entries(FILES)) {
      const folder = path.join(dir, 'events', ...hour.split('/'));
      fs.mkdirSync(folder, { recursive: true });
      const file = path.join(folder, 'ds-eval-1.gz');
      fs.writeFileSync(file, zlib.gzipSync(lines.map((l) => `${l}\n`).join('')));
      files.push(file);
    }
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run('CREATE MACRO date_parse(s, f) AS strptime(s, f)');
    await conn.run('CREATE SCHEMA db');
    const glob = path.join(dir, 'events', '*', '*', '*', '*', '*.gz').replace(/'/g, "''");
    await conn.run(
      `CREATE TABLE db.events AS SELECT line, regexp_extract(filename, 'events/(\\d{4}/\\d{2}/\\d{2}/\\d{2})/', 1) AS ${PARTITION_COLUMN}
       FROM read_csv('${glob}', columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, auto_detect = false, filename = true)`,
    );
    const reader = await conn.runAndReadAll(reportSql('events-per-host-hour', 'duckdb', athenaEventsSource('db', 'events')));
    athena = reader.getRowObjectsJS().map((r) => ({ host: r.host, hour: formatTime(r.hour as Date), events: Number(r.events) }));
    const db = await OfflineEvents.open();
    await db.load(files, { cache: null });
    offline = [...(await db.runReport('events-per-host-hour')).rows];
    db.close();
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("dates each event by the line's own time, else the hour folder", () => {
    expect(athena).toEqual([
      { host: 'web-1', hour: '2024-11-27T05:00:00Z', events: 1 },
      { host: 'web-1', hour: '2024-11-27T06:00:00Z', events: 1 },
      { host: 'web-1', hour: '2024-11-27T07:00:00Z', events: 1 },
      { host: 'web-1', hour: '2024-12-31T23:00:00Z', events: 1 },
    ]);
  });

  it('gives the same rows as the offline report on the same files', () => {
    expect(offline).toEqual(athena);
  });
});
