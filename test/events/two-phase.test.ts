/**
 * The offline reports' two-phase form (COUNT(DISTINCT) split into a grouping per distinct
 * column) gives the rows of the one-phase SELECT, for every report, on a generated honeypot
 * week with odd lines mixed in (NULL groups and NULL distinct values included).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeEventData } from '../../bench/events-data';
import { ALL_REPORTS } from '../../lib/events';
import { EVENTS_TABLE, OfflineEvents } from '../../lib/events/offline';
import { renderReportOverEvents } from '../../lib/events/reports';
import { oddLines } from './corpus';

describe('two-phase report SQL', () => {
  let dir: string;
  let db: OfflineEvents;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-two-phase-'));
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

  it.each(ALL_REPORTS.map((r) => [r.id, r] as const))('%s: the same rows as one phase', async (_, report) => {
    const twoPhase = renderReportOverEvents(report, EVENTS_TABLE);
    const onePhase = renderReportOverEvents(report, EVENTS_TABLE, 'one');
    const usesDistinct = report.columns.some((c) => c.sql.startsWith('COUNT(DISTINCT'));
    expect(twoPhase.includes('dskit_phase_0')).toBe(usesDistinct);
    const rows = await db.query(onePhase);
    expect(rows.length).toBeGreaterThan(1);
    expect(await db.query(twoPhase)).toEqual(rows);
  });
});
