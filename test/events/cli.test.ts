/** `dskit events query` and `dskit events report` run as a user runs them, on exported files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { DSKIT_BIN, REPO_ROOT, runDskit, type CliResult } from '../helpers/cli';
import { NOISE, SAMPLES } from './samples';

/** The samples re-stamped with RFC 5424 ISO times, so the result does not depend on today's year. */
const exportedLines = SAMPLES.map(({ line, time }) => line.replace(/^(?:<\d+>)?(?:1 \S+ |[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d )?/, `<134>1 ${time} `));

describe('dskit events query / report', () => {
  let dir: string;
  let plain: string;
  let gzipped: string;
  let query: CliResult;
  let queryJson: CliResult;
  let reportJson: CliResult;
  let unknown: CliResult;
  let missing: CliResult;
  let noEvents: CliResult;
  let csv: CliResult;
  let reportCsv: CliResult;
  let badFormat: CliResult;
  let piped: CliResult;
  let cachedRun: CliResult;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-events-'));
    plain = path.join(dir, 'part-1.log');
    gzipped = path.join(dir, 'part-2.gz');
    const half = Math.ceil(exportedLines.length / 2);
    fs.writeFileSync(plain, [...exportedLines.slice(0, half), ...NOISE].join('\n') + '\n');
    // gzip detected by content; CRLF line ends tolerated
    fs.writeFileSync(gzipped, zlib.gzipSync(exportedLines.slice(half).join('\r\n') + '\r\n'));
    fs.writeFileSync(path.join(dir, 'not-events.txt'), 'hello\nworld\n');

    const env = { DSKIT_CACHE_DIR: path.join(dir, 'cache') };
    query = runDskit(['events', 'query', 'firewall-denies', '--from', plain, '--from', gzipped], { env });
    queryJson = runDskit(['--json', 'events', 'query', 'ips-rules-hit', '--from', plain, '--from', gzipped], { env });
    reportJson = runDskit(['events', 'report', '--format', 'json', '--from', plain, '--from', gzipped, '--no-cache'], { env });
    unknown = runDskit(['events', 'query', 'top-talkers', '--from', plain], { env });
    missing = runDskit(['events', 'query', 'top-source-ips', '--from', path.join(dir, 'nope.log')], { env });
    noEvents = runDskit(['events', 'query', 'top-source-ips', '--from', path.join(dir, 'not-events.txt')], { env });
    csv = runDskit(['events', 'query', 'top-destination-ports', '--format', 'csv', '--from', plain, '--from', gzipped], { env });
    reportCsv = runDskit(['events', 'report', '--format', 'csv', '--from', plain], { env });
    badFormat = runDskit(['events', 'query', 'top-source-ips', '--format', 'xml', '--from', plain], { env });
    cachedRun = runDskit(['events', 'query', 'firewall-denies', '--from', plain, '--from', gzipped], { env });
    const p = spawnSync(process.execPath, [DSKIT_BIN, 'events', 'query', 'top-source-ips', '--format', 'csv', '--from', '-'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DSKIT_CONFIG: '', ...env },
      input: fs.readFileSync(plain),
      encoding: 'utf8',
    });
    piped = { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr };
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints the report as a table, with what was read on stderr', () => {
    expect(query.code).toBe(0);
    expect(query.stdout.split('\n')).toEqual([
      '== Firewall denies by reason (firewall-denies)',
      'reason                   action  events  sources  hosts',
      '-----------------------  ------  ------  -------  -----',
      'Deny All Inbound         Deny         1        1      1',
      'Deny Inbound Management  Deny         1        1      1',
      'Deny SMB                 Deny         1        1      1',
      'Out Of Connection        Deny         1        1      1',
      '',
    ]);
    expect(query.stderr).toContain(`read ${SAMPLES.length} events from ${SAMPLES.length + NOISE.length} lines in 2 files`);
    expect(query.stderr).toContain('ignored 2 lines without a CEF or LEEF event');
    // stderr is a pipe here: no live progress line
    expect(query.stderr).not.toContain('reading events');
  });

  it('the second run reads the parse from the cache, with the same output', () => {
    expect(cachedRun.code).toBe(0);
    expect(cachedRun.stderr).toContain('in 2 files (2 from the cache)');
    expect(cachedRun.stdout).toBe(query.stdout);
  });

  it('--format csv gives one plain CSV for a query, and a section per report for report', () => {
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('destination_port,protocol,service,events,sources');
    expect(lines[1]).toBe('445,TCP,SMB,3,2');
    expect(reportCsv.code).toBe(0);
    expect(reportCsv.stdout).toContain('# top-source-ips: Top source IPs\nsource_ip,events,hosts,first_seen,last_seen\n');
    expect(reportCsv.stdout).toContain('# source-countries: Source countries\ncountry,events,sources,hosts,first_seen,last_seen\n');
  });

  it('reads standard input with --from -', () => {
    expect(piped.code).toBe(0);
    expect(piped.stdout.split('\n')[0]).toBe('source_ip,events,hosts,first_seen,last_seen');
    expect(piped.stderr).toContain('in 1 file');
  });

  it('an unknown --format exits 2 naming the allowed ones', () => {
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("argument 'xml' is invalid. Allowed choices are table, csv, json.");
  });

  it('--json gives rows a machine can read, across plain and gzip files', () => {
    expect(queryJson.code).toBe(0);
    const out = JSON.parse(queryJson.stdout).data;
    expect(out.report).toBe('ips-rules-hit');
    expect(out.columns).toEqual(['rule_id', 'rule_name', 'action', 'events', 'hosts', 'last_seen']);
    expect(out.rows.map((r: any) => [r.rule_id, r.action, r.events, r.last_seen])).toEqual([
      [1000552, 'IDS:Reset', 1, '2024-11-27T07:20:00Z'],
      [1008610, 'IDS:Reset', 1, '2024-11-27T05:30:00Z'],
      [1008610, 'Reset', 1, '2024-11-27T06:05:00Z'],
    ]);
    expect(out.input).toEqual({ files: 2, lines: SAMPLES.length + NOISE.length, events: SAMPLES.length, untimed: 0, cachedFiles: expect.any(Number) });
    // The noise lines are left out of every report: said on stderr, and a warning in the envelope.
    expect(JSON.parse(queryJson.stdout).problems).toEqual([
      { severity: 'warning', key: null, message: `ignored ${NOISE.length} lines without a CEF or LEEF event`, fix: null },
    ]);
  });

  it('events report runs every report', () => {
    expect(reportJson.code).toBe(0);
    const out = JSON.parse(reportJson.stdout);
    expect(out.reports.map((r: any) => r.report)).toEqual([
      'top-source-ips',
      'top-destination-ports',
      'firewall-denies',
      'ips-rules-hit',
      'events-per-host-hour',
      'events-per-module-hour',
      'users-tried',
      'source-countries',
    ]);
    const perHour = out.reports[4].rows;
    expect(perHour.reduce((sum: number, r: any) => sum + r.events, 0)).toBe(SAMPLES.length);
    expect(perHour.every((r: any) => typeof r.hour === 'string')).toBe(true);
  });

  it('an unknown report exits 2 and lists the reports', () => {
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown report "top-talkers"');
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    for (const id of ['top-source-ips', 'top-destination-ports', 'firewall-denies', 'ips-rules-hit', 'events-per-host-hour']) {
      expect(unknown.stderr).toContain(id);
    }
    expect(unknown.stdout).toBe('');
  });

  it('an --html page that cannot be written is refused before reading (exit 2, key --html)', () => {
    const r = runDskit(['--json', 'events', 'report', '--from', plain, '--html', path.join(dir, 'no-such-dir', 'r.html')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({ key: '--html', message: expect.stringMatching(/^--html: cannot write .*: no directory /) })]);
    expect(r.stderr).not.toMatch(/^read /m);
  });

  it('a typo of a report: the closest one is named, and --json names <report> as the key', () => {
    const r = runDskit(['--json', 'events', 'query', 'top-source-ip', '--from', plain]);
    expect(r.code).toBe(2);
    const [p] = JSON.parse(r.stdout).problems;
    expect(p).toMatchObject({ key: '<report>', message: expect.stringMatching(/unknown report "top-source-ip"; allowed: top-source-ips \| .*; did you mean "top-source-ips"\?/) });
  });

  it('a missing file exits 2 naming it', () => {
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.log: no such file or directory');
  });

  it('files without any event exit 1 and say what --from wants', () => {
    expect(noEvents.code).toBe(1);
    expect(noEvents.stderr).toContain('no CEF or LEEF event in the 2 lines read; the lines look like:\n  "hello"\n  "world"');
  });
});
