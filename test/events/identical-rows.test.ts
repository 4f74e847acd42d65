/**
 * The offline reports (scanner, Parquet parts, the reports' SQL over parsed columns) give the very
 * rows of the regex SQL the clouds run, report by report, on a generated honeypot week mixed with
 * odd lines. And reading the same lines from a file (as `dskit events report` does) gives the same.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeEventData } from '../../bench/events-data';
import { REPORTS, reportSql } from '../../lib/events';
import { LINES_TABLE, OfflineEvents, type Cell } from '../../lib/events/offline';
import { oddLines } from './corpus';

describe('offline reports match the clouds\' SQL row for row', () => {
  let dir: string;
  let lines: string[];
  const scanned: Record<string, Array<Record<string, Cell>>> = {};
  const bySql: Record<string, Array<Record<string, Cell>>> = {};
  const fromFile: Record<string, Array<Record<string, Cell>>> = {};
  const fromSplitFile: Record<string, Array<Record<string, Cell>>> = {};
  let splitThreads: number | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-identical-'));
    const file = path.join(dir, 'week.log');
    writeEventData(file, 3_000_000, { leef: 0.3 }, 7);
    lines = [...fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== ''), ...oddLines(1500, 3).map((l) => l.replace(/[\r\n].*$/s, ''))];
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const fileTime = fs.statSync(file).mtime;

    const db = await OfflineEvents.open();
    // No source time, as for raw lines from a file; BSD years then come from the file's time.
    await db.addLines(lines.map((line) => ({ line, eventTime: null })));
    for (const r of REPORTS) {
      scanned[r.id] = [...(await db.runReport(r.id)).rows];
      bySql[r.id] = await db.query(reportSql(r.id, 'duckdb', LINES_TABLE));
    }
    db.close();
    expect(Math.abs(fileTime.getTime() - Date.now())).toBeLessThan(3_600_000);

    const files = await OfflineEvents.open();
    await files.load([file], { cache: null });
    for (const r of REPORTS) fromFile[r.id] = [...(await files.runReport(r.id)).rows];
    files.close();

    // The same file split between two threads (as large files are), each with its own dictionary and parts.
    const split = await OfflineEvents.open();
    splitThreads = (await split.load([file], { cache: null, splitFromBytes: 0 })).sources[0].threads;
    for (const r of REPORTS) fromSplitFile[r.id] = [...(await split.runReport(r.id)).rows];
    split.close();
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the input is big and varied enough to mean something', () => {
    expect(lines.length).toBeGreaterThan(8000);
    expect(scanned['top-source-ips'].length).toBe(50);
    expect(scanned['users-tried'].length).toBeGreaterThan(5);
    expect(scanned['events-per-host-hour'].length).toBeGreaterThan(500);
  });

  it.each(REPORTS.map((r) => [r.id]))('%s: the same rows as the regex SQL', (id) => {
    expect(scanned[id].length).toBeGreaterThan(0);
    expect(scanned[id]).toEqual(bySql[id]);
  });

  it.each(REPORTS.map((r) => [r.id]))('%s: the same rows when read from the file', (id) => {
    expect(fromFile[id]).toEqual(scanned[id]);
  });

  it.each(REPORTS.map((r) => [r.id]))('%s: the same rows when two threads read the file', (id) => {
    // Split only where there are two cores (CI's machines have two).
    expect(splitThreads).toBe(os.availableParallelism() >= 2 ? 2 : undefined);
    expect(fromSplitFile[id]).toEqual(scanned[id]);
  });
});
