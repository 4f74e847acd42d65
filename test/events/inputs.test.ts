/**
 * The inputs people really have: RFC 5424 hosts, octet-counted frames, Cloud Logging / BigQuery
 * JSON (lines and gcloud's arrays), Athena / BigQuery CSV with quotes, Firehose's hour folders,
 * standard input, symlinks and their loops, FIFOs and devices refused, over-long lines, gzip bombs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { inputFiles, InputError } from '../../lib/events/inputs';
import { OfflineEvents, type Cell, EVENTS_TABLE } from '../../lib/events/offline';
import { OfflineError, runOffline } from '../../lib/events/offline-command';
import { pathHourMs } from '../../lib/events/load';
import { sourceBytes } from '../../lib/events/read-lines';
import { parseEventLine } from '../../lib/events/parse';

const CEF = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690|21|Deny All Inbound|5|cn1=101 act=Deny src=203.0.113.9 proto=TCP dpt=80';

async function events(files: string[], stdin?: string): Promise<Array<Record<string, Cell>>> {
  const db = await OfflineEvents.open();
  try {
    await db.load(files, { cache: null, stdin: stdin === undefined ? undefined : Readable.from([Buffer.from(stdin)]) });
    return await db.query(`SELECT event_time, host, syslog_host, src, dpt FROM ${EVENTS_TABLE} ORDER BY event_time, host`);
  } finally {
    db.close();
  }
}

describe('real inputs', () => {
  let dir: string;
  const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-inputs-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes the RFC 5424 HOSTNAME as the host, not the app name or the nil SD', () => {
    const e = parseEventLine(`<134>1 2024-11-27T07:15:00Z web-3 ds_agent 1234 - - ${CEF}`);
    expect(e).toMatchObject({ syslogHost: 'web-3', host: 'web-3' });
    expect(parseEventLine(`<134>1 2024-11-27T07:15:00Z - ds_agent - - - ${CEF}`)).toMatchObject({ syslogHost: null, host: 'host-id:101' });
  });

  it('reads octet-counted frames, several on one line', async () => {
    const m1 = `<134>1 2024-11-27T07:15:00Z a - - - - ${CEF}`;
    const m2 = `<134>1 2024-11-27T07:16:00Z b - - - - ${CEF}`;
    const rows = await events([file('framed.log', `${Buffer.byteLength(m1)} ${m1}${Buffer.byteLength(m2)} ${m2}\n`)]);
    expect(rows.map((r) => r.host)).toEqual(['a', 'b']);
  });

  it('takes a record time in epoch ms (fractions rounded as the SQL casts: halves to even), and none from a number no clock writes', async () => {
    const records = [1732694400000, 1732694400010.5, 1732694400021.5, 1e300].map((timestamp) => JSON.stringify({ textPayload: CEF, timestamp }));
    const rows = await events([file('epoch.json', records.join('\n'))]);
    expect(rows.map((r) => r.event_time)).toEqual(['2024-11-27T08:00:00Z', '2024-11-27T08:00:00.010Z', '2024-11-27T08:00:00.022Z', null]);
  });

  it('decodes Cloud Logging / BigQuery JSON lines: no quote glued to the last value, the record time as fallback', async () => {
    const rows = await events([
      file('export.json', [JSON.stringify({ textPayload: CEF, timestamp: '2024-11-27T08:00:00Z' }), JSON.stringify({ jsonPayload: { message: `${CEF}\n` }, timestamp: '2024-11-27T09:00:00Z' })].join('\n')),
    ]);
    expect(rows).toEqual([
      { event_time: '2024-11-27T08:00:00Z', host: 'host-id:101', syslog_host: null, src: '203.0.113.9', dpt: 80 },
      { event_time: '2024-11-27T09:00:00Z', host: 'host-id:101', syslog_host: null, src: '203.0.113.9', dpt: 80 },
    ]);
  });

  it('reads `gcloud logging read --format=json` (a pretty-printed array)', async () => {
    const array = JSON.stringify([{ textPayload: `<134>1 2024-11-27T07:15:00Z g1 - - - - ${CEF}`, timestamp: 'x' }, { jsonPayload: { message: CEF }, timestamp: '2024-11-27T10:00:00Z' }], null, 2);
    const rows = await events([file('gcloud.json', array)]);
    expect(rows.map((r) => [r.event_time, r.host])).toEqual([
      ['2024-11-27T07:15:00Z', 'g1'],
      ['2024-11-27T10:00:00Z', 'host-id:101'],
    ]);
  });

  it('reads Athena and BigQuery CSV results: quotes decoded (dpt=80, not 80")', async () => {
    const athena = `"line","datehour"\n"<134>Nov 27 05:01:00 h1 ${CEF.replace('Deny All Inbound', 'Deny ""quoted""')}","2024/11/27/05"\n`;
    const rows = await events([file('athena.csv', athena)]);
    expect(rows).toEqual([{ event_time: '2024-11-27T05:01:00Z', host: 'h1', syslog_host: 'h1', src: '203.0.113.9', dpt: 80 }]);
  });

  it('dates raw lines without a time by their Firehose hour folder, as Athena does', async () => {
    expect(pathHourMs('/x/events/2024/11/27/05/ds-eval-1-2024-11-27-05-00-00.gz')).toBe(Date.UTC(2024, 10, 27, 5));
    const gz = file('s3/events/2024/11/27/05/ds-eval-1.gz', zlib.gzipSync(`${CEF}\n`));
    const rows = await events([gz]);
    expect(rows.map((r) => r.event_time)).toEqual(['2024-11-27T05:00:00Z']);
  });

  it('reads standard input with --from -', async () => {
    const rows = await events(['-'], `<134>1 2024-11-27T07:15:00Z piped - - - - ${CEF}\n`);
    expect(rows.map((r) => r.host)).toEqual(['piped']);
  });

  it('follows symlinks, walks a directory once even through a loop, and refuses FIFOs', () => {
    const real = file('tree/a/events.log', `${CEF}\n`);
    fs.symlinkSync(path.join(dir, 'tree'), path.join(dir, 'tree', 'a', 'loop'));
    fs.symlinkSync(real, path.join(dir, 'link.log'));
    expect(inputFiles(['tree'], dir)).toEqual([real]);
    expect(inputFiles(['link.log'], dir)).toEqual([path.join(dir, 'link.log')]);
    fs.symlinkSync(path.join(dir, 'self'), path.join(dir, 'self'));
    expect(() => inputFiles(['self'], dir)).toThrow('--from: self: a symlink loop');
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    expect(() => inputFiles(['pipe'], dir)).toThrow(InputError);
    expect(() => inputFiles(['pipe'], dir)).toThrow('pipe is a FIFO (named pipe); only regular files and directories are read (pipe it in with --from - instead)');
    expect(() => inputFiles(['/dev/null'], dir)).toThrow('/dev/null is a device');
  });

  it('reads a plain file in chunks of one reused buffer, and a pipe handed to the reader as a stream', async () => {
    const plain = file('chunks.log', 'x'.repeat(2_500_000));
    const chunks: Buffer[] = [];
    for await (const chunk of sourceBytes(plain)) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([1 << 20, 1 << 20, 2_500_000 - (2 << 20)]);
    expect(chunks[0].buffer).toBe(chunks[1].buffer);
    const pipe = path.join(dir, 'stream-pipe');
    execFileSync('mkfifo', [pipe]);
    const writer = fs.promises.writeFile(pipe, 'a\nb\n');
    let bytes = 0;
    for await (const chunk of sourceBytes(pipe)) bytes += chunk.length;
    await writer;
    expect(bytes).toBe(4);
    await expect((async () => {
      for await (const chunk of sourceBytes(path.join(dir, 'missing.log'))) void chunk;
    })()).rejects.toThrow(`${path.join(dir, 'missing.log')}: cannot read (ENOENT`);
  });

  it('skips a line longer than the limit without holding it, and reads on', async () => {
    const long = `${CEF} msg=${'x'.repeat(3 << 20)}`;
    const db = await OfflineEvents.open();
    try {
      const summary = await db.load([file('long.log', `${long}\n<134>1 2024-11-27T07:15:00Z after - - - - ${CEF}\n`)], { cache: null });
      expect([summary.lines, summary.events, summary.tooLong]).toEqual([1, 1, 1]);
    } finally {
      db.close();
    }
  });

  it('stops a gzip file that inflates beyond all reason, naming it, in bounded memory', async () => {
    const bomb = file('bomb.gz', zlib.gzipSync(Buffer.alloc(64 << 20, 0x61), { level: 9 }));
    const read = async () => {
      let bytes = 0;
      for await (const chunk of sourceBytes(bomb, { inflateFloorBytes: 8 << 20 })) bytes += chunk.length;
      return bytes;
    };
    await expect(read()).rejects.toThrow(/bomb\.gz: not a readable gzip file \(it inflates to more than 200 times its size/);
    // An honest gzip file within the limits reads whole.
    const fine = file('fine.gz', zlib.gzipSync(Buffer.alloc(4 << 20, 0x61)));
    let bytes = 0;
    for await (const chunk of sourceBytes(fine, { inflateFloorBytes: 8 << 20 })) bytes += chunk.length;
    expect(bytes).toBe(4 << 20);
  });

  it('a file where nothing parses is an error that shows what its lines look like', async () => {
    const err = await runOffline(['top-source-ips'], [file('syslog.txt', 'Nov 27 05:00:01 ip-10-60-1-10 systemd[1]: Started Session 1.\nhello\n')], {
      cwd: dir,
      io: { err: () => {} },
      noCache: true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(OfflineError);
    expect(err.message).toContain('no CEF or LEEF event in the 2 lines read; the lines look like:');
    expect(err.message).toContain('"Nov 27 05:00:01 ip-10-60-1-10 systemd[1]: Started Session 1."');
  });
});
