/**
 * The exercise's count query, run for real in DuckDB over raw lines (the rendering the offline
 * reports use), also where the event time is only the hour the line was written in (as Athena's
 * source relation reads it from the Firehose partition); and the Athena and BigQuery texts.
 */
import { athenaEventsSource } from '../../lib/aws/athena-analytics';
import { OfflineEvents } from '../../lib/events/offline';
import { eventsSourceSql } from '../../lib/gcp/events';
import { eventCountOf, eventCountSql, QUERY_HEADER, type EventWindow } from '../../lib/exercise/query';
import { windowStart } from '../../lib/exercise/run';
import { triggerEvent, unrelatedEvent } from './support/events';

const web = { hostId: 101, dvchost: 'ds-eval-aws-web-1' };
const win = { hostId: 102, dvchost: 'ds-eval-aws-win-1' };
const other = { hostId: 999, dvchost: 'another-sandbox-web-1' };
const at = (iso: string) => new Date(iso);

const window: EventWindow = {
  run: 'x20260102t030405-abcd',
  since: at('2026-01-02T03:00:00Z'),
  modules: ['anti-malware', 'intrusion-prevention', 'log-inspection', 'firewall'],
  hostIds: [101, 102],
  hostNames: ['ds-eval-aws-web-1', 'ds-eval-aws-win-1'],
};

describe('the count query in DuckDB over raw lines', () => {
  let db: OfflineEvents;
  let rows: ReturnType<typeof eventCountOf>[];

  beforeAll(async () => {
    db = await OfflineEvents.open();
    await db.addLines([
      { line: triggerEvent('am', 'linux', web, at('2026-01-02T03:10:00Z')), eventTime: at('2026-01-02T03:10:00Z') },
      { line: triggerEvent('am', 'linux', web, at('2026-01-02T03:11:00Z')), eventTime: at('2026-01-02T03:11:00Z') },
      { line: triggerEvent('ips', 'linux', web, at('2026-01-02T03:12:00Z')), eventTime: at('2026-01-02T03:12:00Z') },
      { line: triggerEvent('li', 'windows', win, at('2026-01-02T03:12:00Z')), eventTime: at('2026-01-02T03:12:00Z') },
      { line: triggerEvent('fw', 'windows', win, at('2026-01-02T03:13:00Z')), eventTime: at('2026-01-02T03:13:00Z') },
      // Before the window, another sandbox's host, a module not asked for, a line without an event.
      { line: triggerEvent('am', 'linux', web, at('2026-01-02T02:59:59Z')), eventTime: at('2026-01-02T02:59:59Z') },
      { line: triggerEvent('am', 'linux', other, at('2026-01-02T03:10:00Z')), eventTime: at('2026-01-02T03:10:00Z') },
      { line: triggerEvent('wrs', 'linux', web, at('2026-01-02T03:10:00Z')), eventTime: at('2026-01-02T03:10:00Z') },
      { line: unrelatedEvent(web, at('2026-01-02T03:10:00Z')), eventTime: at('2026-01-02T03:10:00Z') },
      { line: 'rsyslogd: restart', eventTime: at('2026-01-02T03:10:00Z') },
    ]);
    rows = (await db.query(eventCountSql('duckdb', 'dskit_lines', window))).map(eventCountOf);
  });
  afterAll(() => db?.close());

  test('counts each kind of event per host, since the window start, of the asked modules and hosts only', () => {
    const key = (r: (typeof rows)[number]) => `${r.hostId} ${r.module} ${r.signatureId} ${r.act} ${r.dpt}`;
    expect(Object.fromEntries(rows.map((r) => [key(r), r.events]))).toEqual({
      '101 anti-malware 4000000 Quarantine null': 2,
      '101 intrusion-prevention 1005924 IDS:Reset 49786': 1,
      '102 log-inspection 3002795 null null': 1,
      '102 firewall 21 Deny 9': 1,
      // The firewall module was asked for, and the unrelated log-only rule is a firewall event too.
      '101 firewall 20 Log 80': 1,
    });
  });

  test('reads the host from dvchost, as every report does', () => {
    expect(new Set(rows.map((r) => r.host))).toEqual(new Set(['ds-eval-aws-web-1', 'ds-eval-aws-win-1']));
  });

  test('matches by host name alone when the computer id is unknown', async () => {
    const byName = (await db.query(eventCountSql('duckdb', 'dskit_lines', { ...window, hostIds: [], hostNames: ['ds-eval-aws-web-1'] }))).map(eventCountOf);
    expect(byName.filter((r) => r.module === 'anti-malware').map((r) => r.events)).toEqual([2]);
    expect(byName.some((r) => r.hostId === 102)).toBe(false);
  });
});

describe('the count query where the source time is only the hour (Athena\'s Firehose partition, the fallback)', () => {
  let db: OfflineEvents;

  beforeAll(async () => {
    db = await OfflineEvents.open();
    // Both in hour folders; the line's own time (03:40, 02:10) is the event time, the folder's hour only a fallback.
    await db.addLines([
      { line: triggerEvent('ips', 'linux', web, at('2026-01-02T03:40:00Z')), eventTime: at('2026-01-02T03:00:00Z') },
      { line: triggerEvent('ips', 'linux', web, at('2026-01-02T02:10:00Z')), eventTime: at('2026-01-02T02:00:00Z') },
    ]);
  });
  afterAll(() => db?.close());

  test('an event in the current hour counts when the window starts at the hour, as windowStart makes it', async () => {
    const since = windowStart(at('2026-01-02T03:40:00Z').getTime());
    expect(since.toISOString()).toBe('2026-01-02T03:00:00.000Z');
    const rows = (await db.query(eventCountSql('duckdb', 'dskit_lines', { ...window, since }))).map(eventCountOf);
    expect(rows.map((r) => [r.signatureId, r.events])).toEqual([[1005924, 1]]);
  });

  test('five minutes after the hour, the window still reaches back into the previous hour (clock skew)', () => {
    expect(windowStart(at('2026-01-02T03:04:00Z').getTime()).toISOString()).toBe('2026-01-02T02:00:00.000Z');
  });
});

describe('the Athena and BigQuery texts', () => {
  const athenaSource = athenaEventsSource('dskit_ds_eval', 'ds_events');
  const bigquerySource = eventsSourceSql('dskit-lab-1234', 'dskit_ds_eval_events');
  const athena = eventCountSql('athena', athenaSource, window);
  const bigquery = eventCountSql('bigquery', bigquerySource, window);

  test('read the sinks through the stacks\' own source relations and name the run first', () => {
    expect(athena.startsWith(`${QUERY_HEADER} ${window.run}: `)).toBe(true);
    expect(athena).toContain(`FROM ${athenaSource} AS dskit_source`);
    expect(bigquery).toContain(`FROM ${bigquerySource} AS dskit_source`);
  });

  test('use each dialect\'s own regex functions (the shared relation of lib/events)', () => {
    expect(athena).toMatch(/regexp_like\(line, '/);
    expect(bigquery).toMatch(/REGEXP_CONTAINS\(line, r'/);
    expect(athena).toContain("WHERE event_time >= TIMESTAMP '2026-01-02 03:00:00'");
    expect(bigquery).toContain("WHERE event_time >= TIMESTAMP '2026-01-02 03:00:00'");
  });

  test('refuse what would make a broken or injectable query', () => {
    expect(() => eventCountSql('athena', athenaSource, { ...window, hostNames: ["x') OR 1=1 --"] })).toThrow(/not a host name/);
    expect(() => eventCountSql('athena', athenaSource, { ...window, hostIds: [], hostNames: [] })).toThrow(/no host ids or names/);
    expect(() => eventCountSql('athena', athenaSource, { ...window, modules: [] })).toThrow(/no modules/);
    expect(() => eventCountSql('athena', athenaSource, { ...window, run: 'Bad Run' })).toThrow(/run id/);
  });
});
