/**
 * The WebAssembly fast path (lib/events/wasm/scanner.ts) reads every line it takes exactly as
 * the TypeScript scanner does, and hands back the rest: every parsed column of every sample,
 * edge case, generated odd line and benchmark-shaped line, side by side with the fast path off
 * (DSKIT_EVENTS_SCANNER=js). The committed modules (scanner.wasm, encoder.wasm) are what their sources build.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeEventData } from '../../bench/events-data';
import { Dictionary } from '../../lib/events/dictionary';
import { FastLineScanner, SCANNER_WASM, type ScannerKind } from '../../lib/events/fast-scan';
import { SourceReader } from '../../lib/events/load';
import { ENCODER_WASM } from '../../lib/events/part-encoder';
import { EVENTS_TABLE, OfflineEvents, type Cell } from '../../lib/events/offline';
import { EventScanner } from '../../lib/events/scan';
import { oddLines, plainOddLines } from './corpus';
import { EDGE_CASES, NOISE, SAMPLES } from './samples';

const ROOT = path.resolve(__dirname, '..', '..');

/** Every parsed row of the files, as sorted JSON (row order means nothing to the reports). */
async function parsedRows(files: readonly string[], scanner: ScannerKind): Promise<{ rows: string[]; lines: number; events: number; untimed: number; tooLong: number }> {
  const db = await OfflineEvents.open();
  try {
    const summary = await db.load(files, { cache: null, splitFromBytes: Number.MAX_SAFE_INTEGER, maxLineBytes: 4096, scanner });
    const rows = (await db.query(`SELECT * FROM ${EVENTS_TABLE}`)).map((r: Record<string, Cell>) => JSON.stringify(r)).sort();
    return { rows, lines: summary.lines, events: summary.events, untimed: summary.untimed, tooLong: summary.tooLong };
  } finally {
    db.close();
  }
}

describe('the WebAssembly fast path reads lines as the TypeScript scanner does', () => {
  let dir: string;
  let files: string[];
  let js: Awaited<ReturnType<typeof parsedRows>>;
  let wasm: Awaited<ReturnType<typeof parsedRows>>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-fast-scan-'));
    const odd = [...SAMPLES.map((s) => s.line), ...EDGE_CASES, ...NOISE, ...oddLines(6000, 11), ...plainOddLines(6000, 12), ...plainOddLines(6000, 13, true)];
    // What plain-line handling must get right besides the event: CRLF, empty lines, JSON records,
    // octet framing, a line past the limit, a last line without LF.
    const framing = [
      '<134>Nov 27 05:00:00 web-1 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.1 dpt=22\r',
      '',
      '{"line":"<134>Nov 27 05:00:00 web-2 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.2","timestamp":"2024-11-27T05:00:00Z"}',
      '97 <134>Nov 27 05:00:00 web-3 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.3 dpt=23',
      `<134>Nov 27 05:00:00 web-4 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|msg=${'x'.repeat(5000)}`,
      '<134>Nov 27 05:00:00 web-5 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.5',
      // Short values with spaces around them, last in CEF and anywhere in LEEF.
      '<134>Nov 27 05:00:00 web-6 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.6 act= ab  ',
      '<134>Nov 27 05:00:00 web-7 LEEF:1.0|Trend Micro|Deep Security Agent|20.0|21|act=ab  \tproto= u \tsrc=192.0.2.7 \tdpt= 22 ',
      // BSD stamps (no year) 23 and 36 hours after the file's time: only the second is last year's.
      '<134>Nov 27 23:00:00 web-8 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.8',
      '<134>Nov 28 12:00:00 web-9 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.9',
    ];
    files = [path.join(dir, 'odd.log'), path.join(dir, 'framing.log'), path.join(dir, 'bench.log'), path.join(dir, '2024', '11', '27', '05', 'firehose-object'), path.join(dir, 'crlf.log')];
    fs.writeFileSync(files[0], odd.join('\n') + '\n');
    fs.writeFileSync(files[1], framing.join('\n'));
    fs.utimesSync(files[1], new Date('2024-11-27T00:00:00Z'), new Date('2024-11-27T00:00:00Z'));
    writeEventData(files[2], 2 << 20);
    // CRLF line ends (the event ends at the CR, as in scan.ts), and a CR mid-line with bytes after it that would otherwise send the line back.
    const benchLines = fs.readFileSync(files[2], 'utf8').split('\n').slice(0, 3000);
    const crlf = [...benchLines, ...plainOddLines(2000, 14, true)].map((l, i) => (i % 7 === 3 ? `${l}\r\u0001after the CR=1 src=x` : l));
    fs.writeFileSync(files[4], crlf.join('\r\n') + '\r\n');
    fs.mkdirSync(path.dirname(files[3]), { recursive: true });
    fs.writeFileSync(files[3], ['<134>CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.9', '<134>Dec 31 23:30:00 h CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.8', '<134>1 2024-11-27T07:40:00Z h app - - - LEEF:2.0|Trend Micro|Deep Security Agent|20.0|21|cat=x\tsrc=192.0.2.7\tdstPort=3389'].join('\n'));
    js = await parsedRows(files, 'js');
    wasm = await parsedRows(files, 'wasm');
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same rows, and the same line, event, untimed and too-long counts', () => {
    expect(wasm.rows.length).toBe(js.rows.length);
    const jsRows = new Set(js.rows);
    expect(wasm.rows.filter((r) => !jsRows.has(r)).slice(0, 5)).toEqual([]);
    expect(wasm.rows).toEqual(js.rows);
    expect({ ...wasm, rows: undefined }).toEqual({ ...js, rows: undefined });
    expect(js.tooLong).toBe(1);
    expect(js.events).toBeGreaterThan(9000);
  });

  it('takes most plain lines and hands back the ones it must', () => {
    const scanner = new EventScanner({ dictionary: new Dictionary(), onBatch: () => undefined });
    const reader = new SourceReader(scanner, Number.NaN, Date.UTC(2024, 11, 1));
    const splitter = reader.lineSplitter(4096, 'wasm');
    for (const file of files) splitter.push(fs.readFileSync(file));
    splitter.end();
    const fast = FastLineScanner.for(scanner);
    expect(fast.linesTaken).toBeGreaterThan(5000);
    expect(fast.linesHandedBack).toBeGreaterThan(3000);
    // A CRLF export is read by the module, not handed back line by line.
    const crlfScanner = new EventScanner({ dictionary: new Dictionary(), onBatch: () => undefined });
    const crlfSplitter = new SourceReader(crlfScanner, Number.NaN, Date.UTC(2024, 11, 1)).lineSplitter(4096, 'wasm');
    crlfSplitter.push(fs.readFileSync(files[4]).subarray(0, 1_000_000));
    crlfSplitter.end();
    const crlfFast = FastLineScanner.for(crlfScanner);
    expect(crlfFast.linesTaken).toBeGreaterThan(9 * crlfFast.linesHandedBack);
    // Every line is taken or handed back; the too-long one is handed back but not a line read.
    expect(splitter.tooLong).toBe(1);
    expect(reader.lines).toBe(fast.linesTaken + fast.linesHandedBack - splitter.tooLong);
  });

  it('takes lines with backslashes (read from their normalized text) and lines with a CR in the header, as the TypeScript scanner reads them', () => {
    const cef = '<134>Nov 27 05:00:00 web-1 CEF:0|Trend Micro|Deep Security Agent|20.0|';
    const leef = '<134>1 2024-11-27T07:40:00Z web-1 ds_agent - - - LEEF:2.0|Trend Micro|Deep Security Agent|20.0|';
    // Escaped bars and backslashes in the header and in values: the bars scan() saw are not the header's.
    const escaped = [
      `${cef}21|Deny \\| Reset|5|src=192.0.2.1 act=a\\|b dpt=22`,
      `${cef}21|Deny\\\\x|5|src=192.0.2.2 act=x\\=y dpt=23`,
      `<134>Nov 27 05:00:00 web-1 CEF:0|Trend \\| Micro|Deep Security Agent|20.0|21|Deny|5|src=192.0.2.3`,
      `${leef}1008610|cat=Firewall\tname=a\\|b\tsrc=192.0.2.4\tdstPort=445`,
      `<134>1 2024-11-27T07:40:00Z web-1 ds_agent - - - LEEF:1.0|Trend Micro|Deep\\|Agent|20.0|21|src=192.0.2.5\tact=a\\\\b`,
    ];
    // A CR ends the event: in the header, the fields after it are missing (the line is no event) or cut short.
    const carriageReturns = [`${cef}21|Deny\r|5|src=192.0.2.6 dpt=22`, `${cef}21\r|Deny|5|src=192.0.2.7`, `${leef}21\r|cat=x\tsrc=192.0.2.8`, `${cef}21|Deny|5\r|src=192.0.2.9`, `${cef}21|Deny|5|src=192.0.2.10\r dpt=9`];
    const read = (kind: ScannerKind, lines: readonly string[]) => {
      const dictionary = new Dictionary();
      const rows: string[] = [];
      const scanner = new EventScanner({
        dictionary,
        onBatch: (batch) => {
          for (let r = 0; r < batch.rows; r++) rows.push(JSON.stringify({ ...Object.fromEntries(Object.entries(batch.text).map(([c, ids]) => [c, dictionary.text(ids[r])])), ...Object.fromEntries(Object.entries(batch.integer).map(([c, v]) => [c, v[r]])) }));
        },
      });
      const splitter = new SourceReader(scanner, Number.NaN, Date.UTC(2024, 11, 1)).lineSplitter(undefined, kind);
      splitter.push(Buffer.from(lines.join('\n') + '\n'));
      splitter.end();
      scanner.flush();
      return { rows: rows.sort(), fast: kind === 'wasm' ? FastLineScanner.for(scanner) : null };
    };
    // Every escaped line is the module's: none is handed back.
    const escapedRead = read('wasm', escaped);
    expect(escapedRead.rows).toEqual(read('js', escaped).rows);
    expect(escapedRead.fast!.linesTaken).toBe(escaped.length);
    expect(escapedRead.rows).toHaveLength(escaped.length);
    // A CR before the header's last bar leaves no event; after it, the event ends there (no dpt).
    const crRead = read('wasm', carriageReturns);
    expect(crRead.rows).toEqual(read('js', carriageReturns).rows);
    expect(crRead.rows.map((r) => JSON.parse(r) as { src: string; dpt: number | null }).map((r) => [r.src, r.dpt])).toEqual([['192.0.2.10', null]]);
    expect(crRead.fast!.linesTaken).toBe(1);
  });

  it('takes LEEF 2.0 lines with a | inside a value, and hands back those with a delimiter field', () => {
    const head = '<134>1 2024-11-27T07:40:00Z web-1 ds_agent - - - LEEF:2.0|Trend Micro|Deep Security Agent|20.0|1008610|';
    const attributes = (sep: string) => ['cat=Firewall', 'name=Block Administrative Share | SMB', 'src=192.0.2.7', 'dstPort=445'].join(sep);
    // Not delimiter fields (scan.ts's delimiterField gives null): the attributes start after the event id.
    const taken = [attributes('\t'), `=|${attributes('\t')}`, `ab|${attributes('\t')}`, `xyz|${attributes('\t')}`, `0x12345|${attributes('\t')}`, `xG1|${attributes('\t')}`, `0x|${attributes('\t')}`, `漢字|${attributes('\t')}`];
    // Delimiter fields: empty, a character (of one to four UTF-8 bytes), a hex code (either case).
    const handed = [`|${attributes('\t')}`, `^|${attributes('^')}`, `x5E|${attributes('^')}`, `x5e|${attributes('^')}`, `0X09|${attributes('\t')}`, `¦|${attributes('¦')}`, `漢|${attributes('漢')}`, `😀|${attributes('😀')}`];
    const lines = [...taken, ...handed].map((a) => head + a);
    const read = (kind: ScannerKind) => {
      const rows: string[] = [];
      const dictionary = new Dictionary();
      const scanner = new EventScanner({
        dictionary,
        onBatch: (batch) => {
          for (let r = 0; r < batch.rows; r++) rows.push(JSON.stringify(Object.fromEntries(Object.entries(batch.text).map(([c, ids]) => [c, dictionary.text(ids[r])]))));
        },
      });
      const splitter = new SourceReader(scanner, Number.NaN, Date.UTC(2024, 11, 1)).lineSplitter(undefined, kind);
      splitter.push(Buffer.from(lines.join('\n') + '\n'));
      splitter.end();
      scanner.flush();
      return { rows, fast: kind === 'wasm' ? FastLineScanner.for(scanner) : null };
    };
    const wasmRead = read('wasm');
    expect(wasmRead.fast!.linesTaken).toBe(taken.length);
    expect(wasmRead.fast!.linesHandedBack).toBe(handed.length);
    expect(wasmRead.rows.sort()).toEqual(read('js').rows.sort());
    expect(wasmRead.rows.filter((r) => r.includes('Block Administrative Share | SMB')).length).toBeGreaterThanOrEqual(taken.length);
  });
});

describe("the module's dictionary starting afresh", () => {
  /** Every row the splitter's scanner emits, its texts decoded, as sorted JSON. */
  function scannedRows(text: string, kind: ScannerKind, dictionaryLimit?: number): { rows: string[]; resets: number } {
    const dictionary = new Dictionary();
    const rows: string[] = [];
    const scanner = new EventScanner({
      dictionary,
      onBatch: (batch) => {
        for (let r = 0; r < batch.rows; r++) {
          const row: Record<string, unknown> = { eventMs: batch.eventMs[r] };
          for (const [column, ids] of Object.entries(batch.text)) row[column] = dictionary.text(ids[r]);
          for (const [column, values] of Object.entries(batch.integer)) row[column] = values[r];
          rows.push(JSON.stringify(row));
        }
      },
    });
    const fast = kind === 'wasm' ? FastLineScanner.for(scanner, { dictionaryLimit }) : null;
    const splitter = new SourceReader(scanner, Number.NaN, Date.UTC(2024, 11, 1)).lineSplitter(undefined, kind);
    splitter.push(Buffer.from(text));
    splitter.end();
    scanner.flush();
    return { rows: rows.sort(), resets: fast?.dictionaryResets ?? 0 };
  }

  it('gives the same rows when it forgets its entries (checked between calls of up to 4,096 rows)', () => {
    // A source per line and a few hosts: values new and values seen before, across many resets.
    const text = Array.from({ length: 20_000 }, (_, i) => `<134>Nov 27 05:00:00 web-${i % 5} CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=10.0.${i >> 8}.${i & 255} dpt=${i % 3 === 0 ? 22 : 3389} act=Deny`).join('\n');
    const js = scannedRows(text, 'js');
    const wasm = scannedRows(text, 'wasm', 50);
    expect(wasm.resets).toBeGreaterThanOrEqual(4);
    expect(js.rows).toHaveLength(20_000);
    expect(wasm.rows).toEqual(js.rows);
  });

  it("gives each signature id its module when ids share a slot of takeRows' cache, and a manager's events the system module", () => {
    // 21 (firewall), 4117 (no module's range: system) and 2002965 (integrity monitoring) all fall in slot 21 of 4,096.
    const signatures = [21, 4117, 2002965, 21, 21, 2002965, 4117, 1000021, 40];
    const lines = signatures.flatMap((sig, i) => [
      `<134>Nov 27 05:00:0${i} web-1 CEF:0|Trend Micro|Deep Security Agent|20.0|${sig}|Event ${sig}|5|src=192.0.2.${i} dpt=22`,
      `<134>Nov 27 05:00:0${i} dsm CEF:0|Trend Micro|Deep Security Manager|20.0|${sig}|Event ${sig}|5|src=192.0.2.${i}`,
    ]);
    const wasm = scannedRows(lines.join('\n'), 'wasm');
    expect(wasm.rows).toEqual(scannedRows(lines.join('\n'), 'js').rows);
    const modules = new Map(wasm.rows.map((r) => JSON.parse(r) as { signature_id: number; product: string; module: string }).map((r) => [`${r.product} ${r.signature_id}`, r.module]));
    expect(modules.get('Deep Security Agent 21')).toBe('firewall');
    expect(modules.get('Deep Security Agent 4117')).toBe('system');
    expect(modules.get('Deep Security Agent 2002965')).toBe('integrity-monitoring');
    expect(modules.get('Deep Security Manager 21')).toBe('system');
  });

  it('keeps every source as written: IPv4 is looked up by its value only when written canonically', () => {
    // Texts of one value written differently must stay different sources; texts that are no IPv4 go by their bytes.
    const sources = ['10.0.0.1', '010.0.0.1', '10.0.0.01', '10.00.0.1', '10.0.0.0', '0.0.0.0', '255.255.255.255', '10.0.0.256', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '::1', '2001:db8::1', 'a.b.c.d', '1.2.3.4x', '11.22.33.44'];
    const lines = Array.from({ length: 3 * sources.length }, (_, i) => `<134>Nov 27 05:00:00 web-1 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=${sources[i % sources.length]} dpt=22`);
    const text = lines.join('\n');
    const js = scannedRows(text, 'js');
    const wasm = scannedRows(text, 'wasm');
    expect(wasm.rows).toEqual(js.rows);
    const seen = new Set(wasm.rows.map((r) => (JSON.parse(r) as { src: string }).src));
    expect([...seen].sort()).toEqual([...sources].sort());
    // Forgetting the dictionary forgets the addresses too: a reset between a source's lines gives it its text again, not a stale id.
    const many = Array.from({ length: 12_000 }, (_, i) => `<134>Nov 27 05:00:00 web-1 CEF:0|Trend Micro|Deep Security Agent|20.0|21|Deny|5|src=192.168.${(i * 7) % 40}.${i % 250} act=a${i % 97}`).join('\n');
    const reset = scannedRows(many, 'wasm', 64);
    expect(reset.resets).toBeGreaterThanOrEqual(2);
    expect(reset.rows).toEqual(scannedRows(many, 'js').rows);
  });
});

describe('the committed WebAssembly modules', () => {
  // Each command of `npm run build:wasm` builds one module: run it with a scratch output, compare.
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build:wasm'];
  const commands = script.split(' && ').map((c) => c.split(' '));
  it('are the ones `npm run build:wasm` builds: scanner.wasm and encoder.wasm', () => {
    expect(commands.map((c) => path.basename(c[c.indexOf('-o') + 1]))).toEqual(['scanner.wasm', 'encoder.wasm']);
    expect(path.join(ROOT, commands[0][commands[0].indexOf('-o') + 1])).toBe(SCANNER_WASM);
    expect(path.join(ROOT, commands[1][commands[1].indexOf('-o') + 1])).toBe(ENCODER_WASM);
  });
  it.each(commands.map((c) => [path.basename(c[c.indexOf('-o') + 1]), c] as const))('%s is what its source builds', (_name, command) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-wasm-'));
    const committed = command[command.indexOf('-o') + 1];
    const out = path.join(dir, path.basename(committed));
    const args = command.slice(1).map((a) => (a === committed ? out : a));
    const built = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(ROOT, committed)))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
