/**
 * The offline reports' top-first form (reports with a LIMIT whose order needs no distinct count:
 * the top groups found first, distinct values counted for those alone) gives the rows of the
 * plain SELECT, for every report, on a generated honeypot week with odd lines mixed in (NULL
 * groups and NULL distinct values included); the other reports run as the plain SELECT.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeEventData } from '../../bench/events-data';
import { ALL_REPORTS } from '../../lib/events';
import { EVENTS_TABLE, OfflineEvents } from '../../lib/events/offline';
import { renderReportOverEvents, reportById } from '../../lib/events/reports';
import { oddLines } from './corpus';

describe('the offline reports\' top-first form', () => {
  let dir: string;
  let db: OfflineEvents;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-report-forms-'));
    const file = path.join(dir, 'week.log');
    writeEventData(file, 1_000_000, { leef: 0.3 }, 5);
    fs.appendFileSync(file, oddLines(2000, 9).map((l) => l.replace(/[\r\n].*$/s, '')).join('\n') + '\n');
    db = await OfflineEvents.open();
    await db.load([file], { cache: null });
  }, 60_000);
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const topFirst = ['top-source-ips', 'top-destination-ports', 'users-tried'];
  it.each(ALL_REPORTS.map((r) => [r.id, r] as const))('%s: the same rows as the plain SELECT', async (_, report) => {
    const fastest = renderReportOverEvents(report, EVENTS_TABLE);
    const plain = renderReportOverEvents(report, EVENTS_TABLE, 'plain');
    expect(fastest.includes('dskit_top')).toBe(topFirst.includes(report.id));
    if (!topFirst.includes(report.id)) expect(fastest).toBe(plain);
    const rows = await db.query(plain);
    expect(rows.length).toBeGreaterThan(1);
    expect(await db.query(fastest)).toEqual(rows);
  });

  it('top first: an ORDER BY term other than a column and a direction keeps the plain form', async () => {
    const report = reportById('top-source-ips');
    for (const orderBy of [['events  DESC', 'source_ip'], ['events DESC', 'source_ip COLLATE nocase'], ['events desc', 'source_ip']]) {
      const variant = { ...report, orderBy };
      const fastest = renderReportOverEvents(variant, EVENTS_TABLE);
      expect(fastest).not.toContain('dskit_top');
      expect(await db.query(fastest)).toEqual(await db.query(renderReportOverEvents(variant, EVENTS_TABLE, 'plain')));
    }
  });

  it('top first: groups with NULLs are among the top ones, and the LIMIT cuts groups off', async () => {
    // What the top-first form must get right to be tested above: a NULL in a kept group (joined
    // IS NOT DISTINCT FROM), and more groups than the LIMIT (the rest counted, never joined).
    const [ports] = await db.query(`SELECT count(*) AS groups, count(*) FILTER (WHERE service IS NULL OR protocol IS NULL) AS with_null FROM (SELECT dpt, protocol, service FROM ${EVENTS_TABLE} WHERE dpt IS NOT NULL GROUP BY ALL)`);
    expect(ports.groups).toBeGreaterThan(50);
    const top = await db.query(renderReportOverEvents(reportById('top-destination-ports'), EVENTS_TABLE));
    expect(top.some((r) => r.service === null)).toBe(true);
  });
});
