/** The offline run behind the commands: directories, the live progress line, unreadable files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableCores } from '../../lib/events/load';
import { OfflineEvents } from '../../lib/events/offline';
import { OfflineError, runOffline, type OfflineRun } from '../../lib/events/offline-command';
import { ProgressLine, progressText } from '../../lib/events/progress';

const line = (i: number) =>
  `<134>1 2024-11-27T05:${String(i % 60).padStart(2, '0')}:00Z web-${i % 3} - - - - CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|act=Deny src=192.0.2.${i % 7} dpt=22`;

describe('runOffline', () => {
  let dir: string;
  let messages: string[];
  let drawn: string[];
  let result: OfflineRun;
  let corrupt: unknown;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-offline-'));
    fs.mkdirSync(path.join(dir, 'export', '2024', '11'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'export', '2024', '11', 'a.log'), Array.from({ length: 3000 }, (_, i) => line(i)).join('\n'));
    fs.writeFileSync(path.join(dir, 'export', '.hidden'), 'ignored');
    fs.writeFileSync(path.join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    messages = [];
    drawn = [];
    const terminal = { isTTY: true, write: (t: string) => drawn.push(t) };
    result = await runOffline(['top-source-ips'], ['export'], { cwd: dir, io: { err: (m) => messages.push(m) }, noCache: true, progress: terminal });
    corrupt = await runOffline(['top-source-ips'], [path.join(dir, 'broken.gz')], { cwd: dir, io: { err: () => {} }, noCache: true }).catch((e) => e);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks a directory, skipping hidden files', () => {
    expect(result.input).toEqual({ files: 1, lines: 3000, events: 3000, untimed: 0, cachedFiles: 0 });
    expect(result.results[0].rows).toHaveLength(7);
    expect(messages).toContain('read 3,000 events from 3,000 lines in 1 file');
  });

  it('draws one live line on a terminal, and wipes it at the end', () => {
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    expect(drawn[0]).toMatch(/^\r\x1b\[2Kreading events: [\d.]+ of [\d.]+ MB \(\d+%\), [\d,]+ lines, \d+ MB\/s, [\d,]+ lines\/s$/);
    expect(drawn[drawn.length - 1]).toBe('\r\x1b[2K');
    expect(messages.some((m) => m.startsWith('reading events'))).toBe(false);
  });

  it('runs two reports at a time on two cores, and one at a time with DSKIT_EVENTS_THREADS=1', async () => {
    const runReports = jest.spyOn(OfflineEvents.prototype, 'runReports');
    try {
      const ids = ['top-source-ips', 'users-tried'] as const;
      await runOffline(ids, ['export'], { cwd: dir, io: { err: () => {} }, noCache: true, env: { DSKIT_EVENTS_THREADS: '1' } });
      await runOffline(ids, ['export'], { cwd: dir, io: { err: () => {} }, noCache: true, env: {} });
      expect(runReports.mock.calls.map((c) => c[1])).toEqual([1, Math.min(2, availableCores())]);
    } finally {
      runReports.mockRestore();
    }
  });

  it('runs the reports again one at a time when two at a time ran out of memory together', async () => {
    const runReports = jest.spyOn(OfflineEvents.prototype, 'runReports');
    runReports.mockRejectedValueOnce(new Error('Out of Memory Error: could not allocate block of size 256.0 KiB (256.0 MiB/256.0 MiB used)'));
    try {
      const run = await runOffline(['top-source-ips'], ['export'], { cwd: dir, io: { err: () => {} }, noCache: true, env: {} }).catch((e) => e);
      if (availableCores() < 2) {
        // One core: one lane from the start, so the failure is the one the user sees.
        expect(run).toBeInstanceOf(OfflineError);
        return;
      }
      expect(runReports.mock.calls.map((c) => c[1])).toEqual([2, 1]);
      expect(run.results[0].rows).toEqual(result.results[0].rows);
    } finally {
      runReports.mockRestore();
    }
  });

  it('names an unreadable gzip file (a problem, not bad usage)', () => {
    expect(corrupt).toBeInstanceOf(OfflineError);
    expect((corrupt as OfflineError).usage).toBe(false);
    expect((corrupt as Error).message).toMatch(/broken\.gz: not a readable gzip file/);
  });
});

describe("DuckDB's memory budget", () => {
  it('running out says what to do, in one line; a bad DSKIT_EVENTS_MEMORY, DSKIT_EVENTS_THREADS or DSKIT_EVENTS_SCANNER is bad usage', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-memory-'));
    try {
      // Every line its own source: the reports' groups then outgrow a small budget.
      fs.writeFileSync(path.join(dir, 'a.log'), Array.from({ length: 200_000 }, (_, i) => line(i).replace(/src=\S+/, `src=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)).join('\n'));
      const small = await runOffline(['top-source-ips'], ['a.log'], { cwd: dir, io: { err: () => {} }, noCache: true, env: { DSKIT_EVENTS_MEMORY: '8MB' } }).catch((e) => e);
      expect(small).toBeInstanceOf(OfflineError);
      expect(small.message).toBe("the reports needed more than DuckDB's 8MB memory budget; run again with DSKIT_EVENTS_MEMORY=1GB (or more)");
      const bad = await runOffline(['top-source-ips'], ['a.log'], { cwd: dir, io: { err: () => {} }, noCache: true, env: { DSKIT_EVENTS_MEMORY: 'lots' } }).catch((e) => e);
      expect([bad.usage, bad.message]).toEqual([true, 'DSKIT_EVENTS_MEMORY: got "lots"; allowed: a size such as 512MB or 2GB']);
      const threads = await runOffline(['top-source-ips'], ['a.log'], { cwd: dir, io: { err: () => {} }, noCache: true, env: { DSKIT_EVENTS_THREADS: '4' } }).catch((e) => e);
      expect([threads.usage, threads.message]).toEqual([true, 'DSKIT_EVENTS_THREADS: got "4"; allowed: 1 or 2']);
      const scanner = await runOffline(['top-source-ips'], ['a.log'], { cwd: dir, io: { err: () => {} }, noCache: true, env: { DSKIT_EVENTS_SCANNER: 'fast' } }).catch((e) => e);
      expect([scanner.usage, scanner.message]).toEqual([true, 'DSKIT_EVENTS_SCANNER: got "fast"; allowed: wasm or js']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the progress line', () => {
  it('says MB read of the total, lines, MB/s and lines/s', () => {
    expect(progressText({ bytesDone: 52_428_800, bytes: 104_857_600, lines: 200_000, elapsedMs: 2000, file: 'x' })).toBe(
      'reading events: 50.0 of 100.0 MB (50%), 200,000 lines, 25 MB/s, 100,000 lines/s',
    );
    expect(progressText({ bytesDone: 1_048_576, bytes: 0, lines: 10, elapsedMs: 1000, file: '-' })).toBe('reading events: 1.0 MB, 10 lines, 1 MB/s, 10 lines/s');
  });

  it('stays quiet when stderr is not a terminal', () => {
    const written: string[] = [];
    const p = new ProgressLine({ isTTY: false, write: (t) => written.push(t) });
    p.update({ bytesDone: 1, bytes: 2, lines: 1, elapsedMs: 1, file: 'x' });
    p.done();
    expect(written).toEqual([]);
  });
});
