/** The offline run behind the commands: directories, progress, unreadable files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OfflineError, runOffline, type OfflineRun } from '../../lib/events/offline-command';

const line = (i: number) =>
  `<134>1 2024-11-27T05:${String(i % 60).padStart(2, '0')}:00Z web-${i % 3} CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|act=Deny src=192.0.2.${i % 7} dpt=22`;

describe('runOffline', () => {
  let dir: string;
  let messages: string[];
  let result: OfflineRun;
  let corrupt: unknown;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-offline-'));
    fs.mkdirSync(path.join(dir, 'export', '2024', '11'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'export', '2024', '11', 'a.log'), Array.from({ length: 3000 }, (_, i) => line(i)).join('\n'));
    fs.writeFileSync(path.join(dir, 'export', '.hidden'), 'ignored');
    fs.writeFileSync(path.join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    messages = [];
    result = await runOffline(['top-source-ips'], ['export'], { cwd: dir, io: { err: (m) => messages.push(m) }, progressEveryMs: 0 });
    corrupt = await runOffline(['top-source-ips'], [path.join(dir, 'broken.gz')], { cwd: dir, io: { err: () => {} } }).catch((e) => e);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks a directory, skipping hidden files', () => {
    expect(result.input).toEqual({ files: 1, lines: 3000, events: 3000, untimed: 0 });
    expect(result.results[0].rows).toHaveLength(7);
  });

  it('shows progress on stderr while reading', () => {
    expect(messages.filter((m) => m.startsWith('reading events: ')).length).toBeGreaterThanOrEqual(2);
    expect(messages).toContain('read 3000 events from 3000 lines in 1 file');
  });

  it('names an unreadable gzip file (a problem, not bad usage)', () => {
    expect(corrupt).toBeInstanceOf(OfflineError);
    expect((corrupt as OfflineError).usage).toBe(false);
    expect((corrupt as Error).message).toMatch(/broken\.gz: not a readable gzip file/);
  });
});
