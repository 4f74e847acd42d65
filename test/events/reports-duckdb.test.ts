/**
 * Every report's DuckDB rendering run on the sample lines, with exact rows; and the SQL's
 * reading of each line cross-checked against the TypeScript parser's.
 */
import { eventsSql, moduleOf, REPORT_IDS, REPORTS, reportSql, type ReportId } from '../../lib/events';
import { LINES_TABLE, OfflineEvents, type Cell } from '../../lib/events/offline';
import { parseEventLine } from '../../lib/events/parse';
import { EDGE_CASES, NOISE, SAMPLES } from './samples';

describe('reports over the sample lines (DuckDB)', () => {
  let db: OfflineEvents;
  const rows: Partial<Record<ReportId, Array<Record<string, Cell>>>> = {};
  const wholeSqlRows: Partial<Record<ReportId, Array<Record<string, Cell>>>> = {};
  let parsed: Array<Record<string, Cell>>;

  beforeAll(async () => {
    db = await OfflineEvents.open();
    await db.addLines([
      ...SAMPLES.map((s) => ({ line: s.line, eventTime: new Date(s.time) })),
      ...NOISE.map((line) => ({ line, eventTime: null })),
    ]);
    for (const r of REPORTS) rows[r.id] = [...(await db.runReport(r.id)).rows];
    expect(REPORTS.map((r) => r.id)).toEqual(expect.arrayContaining(['users-tried', 'events-per-module-hour']));
    // What the clouds run: parse and report in one statement over the raw lines.
    for (const r of REPORTS) wholeSqlRows[r.id] = await db.query(reportSql(r.id, 'duckdb', LINES_TABLE));
    parsed = await db.query(`SELECT * FROM (${eventsSql('duckdb', LINES_TABLE)}) ORDER BY event_time`);
  });
  afterAll(() => db.close());

  it('top-source-ips counts events, hosts and times per source, busiest first', () => {
    expect(rows['top-source-ips']).toEqual([
      { source_ip: '198.51.100.20', events: 3, hosts: 3, first_seen: '2024-11-27T05:30:00Z', last_seen: '2024-11-27T07:20:00Z' },
      { source_ip: '203.0.113.7', events: 3, hosts: 2, first_seen: '2024-11-27T05:00:00Z', last_seen: '2024-11-27T07:15:00Z' },
      { source_ip: '192.0.2.50', events: 2, hosts: 2, first_seen: '2024-11-27T05:20:00Z', last_seen: '2024-11-27T07:40:00Z' },
      { source_ip: '10.0.0.1', events: 1, hosts: 1, first_seen: '2024-11-27T06:40:00Z', last_seen: '2024-11-27T06:40:00Z' },
    ]);
  });

  it('top-destination-ports reads CEF dpt and LEEF dstPort alike', () => {
    expect(rows['top-destination-ports']).toEqual([
      { destination_port: 445, protocol: 'TCP', service: 'SMB', events: 3, sources: 2 },
      { destination_port: 22, protocol: 'TCP', service: 'SSH', events: 1, sources: 1 },
      { destination_port: 80, protocol: 'TCP', service: 'HTTP', events: 1, sources: 1 },
      { destination_port: 161, protocol: 'UDP', service: 'SNMP', events: 1, sources: 1 },
      { destination_port: 1433, protocol: 'TCP', service: 'MSSQL', events: 1, sources: 1 },
      { destination_port: 3389, protocol: 'TCP', service: 'RDP', events: 1, sources: 1 },
    ]);
  });

  it('firewall-denies has only firewall denies (no Log action, no manager event), by reason', () => {
    expect(rows['firewall-denies']).toEqual([
      { reason: 'Deny All Inbound', action: 'Deny', events: 1, sources: 1, hosts: 1 },
      { reason: 'Deny Inbound Management', action: 'Deny', events: 1, sources: 1, hosts: 1 },
      { reason: 'Deny SMB', action: 'Deny', events: 1, sources: 1, hosts: 1 },
      { reason: 'Out Of Connection', action: 'Deny', events: 1, sources: 1, hosts: 1 },
    ]);
  });

  it('ips-rules-hit separates detect (IDS:Reset) from prevent (Reset) and unescapes the rule name', () => {
    expect(rows['ips-rules-hit']).toEqual([
      { rule_id: 1000552, rule_name: 'Generic SQL Injection Prevention', action: 'IDS:Reset', events: 1, hosts: 1, last_seen: '2024-11-27T07:20:00Z' },
      { rule_id: 1008610, rule_name: 'Block Administrative Share | SMB', action: 'IDS:Reset', events: 1, hosts: 1, last_seen: '2024-11-27T05:30:00Z' },
      { rule_id: 1008610, rule_name: 'Block Administrative Share | SMB', action: 'Reset', events: 1, hosts: 1, last_seen: '2024-11-27T06:05:00Z' },
    ]);
  });

  it('events-per-host-hour names hosts by dvchost, dvc, syslog host, then Host ID', () => {
    expect(rows['events-per-host-hour']).toEqual([
      { host: '10.60.1.11', hour: '2024-11-27T06:00:00Z', events: 2 },
      { host: 'ds-eval-aws-web-1', hour: '2024-11-27T05:00:00Z', events: 2 },
      { host: 'ds-eval-aws-web-1', hour: '2024-11-27T06:00:00Z', events: 3 },
      { host: 'ds-eval-gcp-db-1', hour: '2024-11-27T07:00:00Z', events: 3 },
      { host: 'ds-eval-gcp-web-1', hour: '2024-11-27T05:00:00Z', events: 1 },
      { host: 'dsm', hour: '2024-11-27T06:00:00Z', events: 1 },
      { host: 'host-id:105', hour: '2024-11-27T05:00:00Z', events: 1 },
      { host: 'host-id:106', hour: '2024-11-27T07:00:00Z', events: 1 },
    ]);
  });

  it('users-tried lists the accounts log inspection events name', () => {
    expect(rows['users-tried']).toEqual([
      { user_name: 'x', events: 1, sources: 0, hosts: 1, first_seen: '2024-11-27T06:30:00Z', last_seen: '2024-11-27T06:30:00Z' },
    ]);
  });

  it('events-per-module-hour counts every module per hour', () => {
    const perModule = rows['events-per-module-hour']!;
    expect(perModule.reduce((n, r) => n + (r.events as number), 0)).toBe(SAMPLES.length);
    expect(perModule.filter((r) => r.hour === '2024-11-27T07:00:00Z')).toEqual([
      { module: 'anti-malware', hour: '2024-11-27T07:00:00Z', events: 1 },
      { module: 'firewall', hour: '2024-11-27T07:00:00Z', events: 2 },
      { module: 'intrusion-prevention', hour: '2024-11-27T07:00:00Z', events: 1 },
    ]);
  });

  it('source-countries (offline only) puts each source in its country', async () => {
    const countries = (await db.runReport('source-countries')).rows;
    // The registries put two documentation ranges (203.0.113.0/24, 198.51.100.0/24) with APNIC (AU);
    // 192.0.2.0/24 and the private 10.0.0.1 are in no country.
    expect(countries.map((r) => [r.country, r.events, r.sources])).toEqual([
      ['AU', 6, 2],
      [null, 3, 2],
    ]);
    expect(() => reportSql('source-countries', 'athena', LINES_TABLE)).toThrow('runs offline only');
  });

  it('runs reports two at a time on two connections: each one\'s rows, in the order asked', async () => {
    const ids = [...REPORT_IDS].reverse();
    // Every connection it opens, and closes.
    const closed: string[] = [];
    const opened: Array<{ closeSync: () => void }> = [];
    const realConnect = db.store.connect.bind(db.store);
    const spied = jest.spyOn(db.store, 'connect').mockImplementation(async () => {
      const connection = await realConnect();
      const close = connection.closeSync.bind(connection);
      connection.closeSync = () => {
        closed.push('extra');
        close();
      };
      opened.push(connection);
      return connection;
    });
    const laned = await db.runReports(ids, 2);
    expect([opened.length, closed]).toEqual([1, ['extra']]);
    expect(laned.map((r) => r.id)).toEqual(ids);
    for (const r of laned) expect([r.id, r.rows]).toEqual([r.id, (await db.runReport(r.id)).rows]);
    // A failing report stops the lanes taking more and fails the call once both stop; the database stays usable.
    const started = jest.spyOn(db, 'runReport');
    await expect(db.runReports(['top-source-ips', 'no-such-report' as ReportId, 'users-tried'], 2)).rejects.toThrow(/no-such-report/);
    expect(started.mock.calls.map((c) => c[0])).toEqual(['top-source-ips', 'no-such-report']);
    started.mockRestore();
    spied.mockRestore();
    expect((await db.runReports(['users-tried'], 2))[0].rows).toEqual(rows['users-tried']);
  });

  it('gives the same rows from the one-statement SQL the clouds run as from the parse-once path', () => {
    for (const r of REPORTS) expect([r.id, wholeSqlRows[r.id]]).toEqual([r.id, rows[r.id]]);
  });

  it('ignores lines without a complete CEF/LEEF header', () => {
    expect(parsed).toHaveLength(SAMPLES.length);
  });
});

describe('odd but legal lines read as intended', () => {
  it('reads the tricky fields', () => {
    const [backslash, twice, empty, hex, leef1, spaced, notHeader, noHost, glued, rsyslog] = EDGE_CASES.map((line) => parseEventLine(line));
    expect(backslash).toMatchObject({ name: 'ends with backslash \\', severity: 5 });
    expect(twice).toMatchObject({ act: 'Deny', severity: null, dpt: null, src: '192.0.2.2' });
    expect(empty).toMatchObject({ name: null, signatureId: null, module: 'system', host: 'h1', spt: 65535 });
    expect(hex).toMatchObject({ formatVersion: '2.0', name: 'hex delim', src: '192.0.2.3', dpt: 8080 });
    expect(leef1).toMatchObject({ formatVersion: '1.0', module: 'intrusion-prevention', dpt: 443 });
    expect(spaced).toMatchObject({ name: 'spaced', act: 'Deny' });
    expect(notHeader).toBeNull();
    expect(noHost).toMatchObject({ syslogHost: null, host: 'host-id:7' });
    expect(glued).toMatchObject({ syslogHost: 'web-9' });
    expect(rsyslog).toMatchObject({ formatVersion: '0', syslogHost: 'web-10', name: 'spaced tag', src: '192.0.2.5' });
  });
});

describe('module boundaries (DuckDB against moduleOf)', () => {
  const ids = [0, 9, 10, 11, 19, 20, 21, 22, 29, 30, 31, 39, 40, 41, 99, 100, 199, 200, 849, 850, 854, 855, 999_999, 1_000_000, 1_999_999, 2_000_000, 2_999_999,
    3_000_000, 3_999_999, 4_000_000, 4_999_999, 5_000_000, 5_999_999, 6_000_000, 6_999_999, 7_000_000, 7_999_999, 8_000_000];
  const line = (id: number, product: string) => `CEF:0|Trend Micro|${product}|20.0|${id}|event ${id}|5|cn1=1`;
  let modules: Array<Record<string, Cell>>;

  beforeAll(async () => {
    const db = await OfflineEvents.open();
    await db.addLines([
      ...ids.map((id) => ({ line: line(id, 'Deep Security Agent'), eventTime: null })),
      ...[21, 150, 851].map((id) => ({ line: line(id, 'Deep Security Manager'), eventTime: null })),
    ]);
    modules = await db.query(`SELECT signature_id, product, module FROM (${eventsSql('duckdb', LINES_TABLE)})`);
    db.close();
  });

  it('classifies every boundary id as moduleOf does', () => {
    for (const row of modules) {
      expect({ ...row, module: moduleOf(row.signature_id as number, row.product as string) }).toEqual(row);
    }
    expect(modules).toHaveLength(ids.length + 3);
  });

  it('puts the documented ranges in the documented modules', () => {
    const of = (id: number, product = 'Deep Security Agent') => modules.find((r) => r.signature_id === id && r.product === product)?.module;
    // Custom rules: 10 IPS, 30 integrity, 40 log inspection (Trend's Signature ID table, SC4S, SEKOIA).
    expect([9, 10, 11, 29, 30, 31, 39, 40, 41].map((id) => of(id))).toEqual([
      'system', 'intrusion-prevention', 'system', 'system', 'integrity-monitoring', 'system', 'system', 'log-inspection', 'system',
    ]);
    // 850-854 is no firewall range: Trend lists 500-899 as IPS normalization inside the system events.
    expect([19, 20, 21, 22, 99, 100, 199, 200, 849, 850, 854, 855].map((id) => of(id))).toEqual([
      'system', 'firewall', 'firewall', 'system', 'system', 'firewall', 'firewall', 'system', 'system', 'system', 'system', 'system',
    ]);
    expect([999_999, 1_000_000, 1_999_999, 2_000_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000, 6_999_999, 7_000_000, 7_999_999, 8_000_000].map((id) => of(id))).toEqual([
      'system', 'intrusion-prevention', 'intrusion-prevention', 'integrity-monitoring', 'log-inspection', 'anti-malware',
      'web-reputation', 'application-control', 'application-control', 'device-control', 'device-control', 'system',
    ]);
    expect(of(150, 'Deep Security Manager')).toBe('system');
  });
});
