/**
 * The parse-once cache: the second run on the same files reads the cached parse (same rows, no
 * parsing), a changed file or a new parser version misses, --no-cache writes nothing, and a
 * file's newer parse replaces its older one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultCacheDir, EventCache, PARSER_VERSION } from '../../lib/events/cache';
import { runOffline, type OfflineRun } from '../../lib/events/offline-command';
import { SAMPLES } from './samples';

const lines = SAMPLES.map((s) => s.line).join('\n') + '\n';

describe('parse-once cache', () => {
  let dir: string;
  let cacheDir: string;
  let file: string;
  const run = async (opts: { noCache?: boolean } = {}) => {
    const notes: string[] = [];
    const result = await runOffline(['top-source-ips', 'events-per-host-hour'], [file], {
      cwd: dir,
      io: { err: (l) => notes.push(l) },
      env: { DSKIT_CACHE_DIR: cacheDir },
      noCache: opts.noCache,
    });
    return { result, notes };
  };
  const entries = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((n) => !n.startsWith('.')) : []);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-cache-'));
    cacheDir = path.join(dir, 'cache');
    file = path.join(dir, 'events.log');
    fs.writeFileSync(file, lines);
    fs.utimesSync(file, new Date('2024-12-01T00:00:00Z'), new Date('2024-12-01T00:00:00Z'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lives where the docs say: $DSKIT_CACHE_DIR, else $XDG_CACHE_HOME/dskit/events, else ~/.cache/dskit/events', () => {
    expect(defaultCacheDir({ DSKIT_CACHE_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/dskit/events');
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'dskit', 'events'));
  });

  it('--no-cache reads and keeps nothing', async () => {
    const { notes } = await run({ noCache: true });
    expect(notes[0]).toBe(`read ${SAMPLES.length} events from ${SAMPLES.length} lines in 1 file`);
    expect(entries()).toEqual([]);
  });

  let first: OfflineRun;
  it('the first run parses and stores one entry; the second reads it and gives the same rows', async () => {
    const a = await run();
    first = a.result;
    expect(a.notes[0]).toBe(`read ${SAMPLES.length} events from ${SAMPLES.length} lines in 1 file`);
    expect(entries()).toHaveLength(1);
    const b = await run();
    expect(b.notes[0]).toBe(`read ${SAMPLES.length} events from ${SAMPLES.length} lines in 1 file (1 from the cache)`);
    expect(b.result.results).toEqual(first.results);
    expect(b.result.input.cachedFiles).toBe(1);
  });

  it('a changed file misses, and its new parse replaces the old entry', async () => {
    fs.appendFileSync(file, `${SAMPLES[0].line.replace('203.0.113.7', '203.0.113.99')}\n`);
    const c = await run();
    expect(c.notes[0]).toBe(`read ${SAMPLES.length + 1} events from ${SAMPLES.length + 1} lines in 1 file`);
    expect(c.result.results[0].rows.map((r) => r.source_ip)).toContain('203.0.113.99');
    expect(entries()).toHaveLength(1);
  });

  it('keys on the parser version and the file identity', () => {
    const cache = new EventCache(cacheDir);
    const id = cache.identity(file);
    expect(id.realPath).toBe(fs.realpathSync(file));
    expect(PARSER_VERSION).toMatch(/^dskit-events-\d+\+geoip-[\d.]+$/);
    fs.utimesSync(file, new Date('2024-12-02T00:00:00Z'), new Date('2024-12-02T00:00:00Z'));
    expect(cache.identity(file).key).not.toBe(id.key);
  });
});
