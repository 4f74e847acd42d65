/**
 * Sources → scanned events in Parquet parts (from the cache when it has them). Each source is
 * read in one of three shapes, told apart by its first bytes:
 * - lines: raw syslog lines (BSD or RFC 5424 headers, RFC 6587 octet-counted frames like
 *   `194 <86>1 ...` too), or one JSON record per line (Cloud Logging / BigQuery / CloudWatch
 *   exports: the message field is the line, the record's time its fallback);
 * - a JSON array (`gcloud logging read --format=json`), records as above;
 * - CSV with a header naming the line column (Athena and BigQuery query results: `line`,
 *   `message`, `textPayload`), quotes decoded.
 * A raw line's fallback time is the hour folder it sits in when the path has Firehose's
 * `.../YYYY/MM/DD/HH/` layout (as Athena's partition), else none; BSD timestamps take their year
 * from the fallback, else from the file's modification time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventCache, FileIdentity } from './cache';
import { recordLine } from './exported';
import { STDIN } from './inputs';
import { FastLineScanner, scannerFromEnv, type ScannerKind } from './fast-scan';
import { EventFileError, LineSplitter, MAX_LINE_BYTES, sourceBytes } from './read-lines';
import type { EventScanner } from './scan';
import { PART_ROWS, type EventStore } from './store';

export interface SourceSummary {
  readonly source: string;
  readonly lines: number;
  readonly events: number;
  readonly untimed: number;
  readonly tooLong: number;
  readonly samples: readonly string[];
  readonly cached: boolean;
  /** Threads that scanned it: 2 when a large plain file was split between two cores. */
  readonly threads?: number;
}

export interface LoadProgress {
  readonly bytesDone: number;
  /** 0 when unknown (standard input). */
  readonly bytes: number;
  readonly lines: number;
  readonly elapsedMs: number;
  readonly file: string;
}

export interface LoadOptions {
  readonly cache: EventCache | null;
  readonly onProgress?: (p: LoadProgress) => void;
  /** @default 250 */
  readonly progressEveryMs?: number;
  readonly stdin?: NodeJS.ReadableStream;
  /** Dates BSD timestamps of standard input. @default now */
  readonly now?: Date;
  readonly maxLineBytes?: number;
  /** Plain files of lines from this size up are scanned by two threads (when there are two cores). @default SPLIT_FROM_BYTES */
  readonly splitFromBytes?: number;
  /** Which scanner reads plain lines. @default DSKIT_EVENTS_SCANNER, else wasm */
  readonly scanner?: ScannerKind;
}

const FIREHOSE_HOUR = /(?:^|[\\/])(\d{4})[\\/](\d{2})[\\/](\d{2})[\\/](\d{2})[\\/][^\\/]+$/;
const LINE_COLUMNS = ['line', 'message', 'textpayload', 'jsonpayload.message', 'jsonpayload_message'];
const TIME_COLUMNS = ['timestamp', 'event_time', 'receivetimestamp', 'datehour'];
const SAMPLES = 3;

/** The hour folder of a Firehose-shaped path, in ms; NaN otherwise. */
export function pathHourMs(file: string): number {
  const m = FIREHOSE_HOUR.exec(file);
  if (!m) return NaN;
  const [, y, mo, d, h] = m.map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23) return NaN;
  return Date.UTC(y, mo - 1, d, h);
}

/** A record's time value: ISO text, epoch ms, or Athena's `YYYY/MM/DD/HH` partition. */
function timeValueMs(value: unknown): number {
  // Beyond JavaScript's Date range (±8.64e15 ms) no clock wrote it; it would not fit a TIMESTAMP's microseconds either.
  if (typeof value === 'number') return Math.abs(value) <= 8.64e15 ? value : NaN;
  if (typeof value !== 'string' || value === '') return NaN;
  const hour = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})$/.exec(value);
  if (hour) return Date.UTC(Number(hour[1]), Number(hour[2]) - 1, Number(hour[3]), Number(hour[4]));
  if (/^\d{12,14}$/.test(value)) return Number(value);
  const t = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`).getTime();
  return Number.isNaN(t) ? NaN : t;
}

/** How a source is read, told by its first bytes. */
function shapeOf(sample: Buffer): 'lines' | 'json' | 'csv' {
  const text = sample.toString('utf8', 0, Math.min(sample.length, 65536));
  const firstLine = text.split(/\r?\n/, 1)[0];
  if (/^\s*\[/.test(text)) return 'json';
  const names = firstLine.split(',').map((n) => n.trim().replace(/^"(.*)"$/, '$1').toLowerCase());
  if (names.length > 1 && names.some((n) => LINE_COLUMNS.includes(n)) && !firstLine.includes('CEF:') && !firstLine.includes('LEEF:')) return 'csv';
  return 'lines';
}

/** Files from this size up are scanned by two threads when there are two cores. */
export const SPLIT_FROM_BYTES = 64 << 20;

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * Where a plain file of lines splits between two threads (just after the first LF past its
 * middle), or null when it is not split: small, one core, gzip, JSON or CSV, or no line break
 * within a MiB of the middle.
 */
function splitPoint(source: string, size: number, splitFrom: number): number | null {
  if (size < splitFrom || availableCores() < 2) return null;
  const fd = fs.openSync(source, 'r');
  try {
    const head = Buffer.alloc(Math.min(65536, size));
    fs.readSync(fd, head, 0, head.length, 0);
    if ((head[0] === 0x1f && head[1] === 0x8b) || shapeOf(head) !== 'lines') return null;
    const middle = Math.floor(size / 2);
    const window = Buffer.alloc(Math.min(1 << 20, size - middle));
    const read = fs.readSync(fd, window, 0, window.length, middle);
    const lf = window.subarray(0, read).indexOf(10);
    const at = middle + lf + 1;
    return lf < 0 || at >= size ? null : at;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads one source (or a range of its lines) into the scanner; the store takes the batches. */
export class SourceReader {
  lines = 0;
  tooLong = 0;
  readonly samples: string[] = [];
  private readonly eventsBefore: number;
  private readonly untimedBefore: number;

  constructor(
    private readonly scanner: EventScanner,
    private readonly fallbackMs: number,
    private readonly referenceMs: number,
  ) {
    this.eventsBefore = scanner.events;
    this.untimedBefore = scanner.untimed;
  }

  get events(): number {
    return this.scanner.events - this.eventsBefore;
  }

  get untimed(): number {
    return this.scanner.untimed - this.untimedBefore;
  }

  private sample(text: string): void {
    if (this.samples.length < SAMPLES && text.trim() !== '') this.samples.push(text.length > 160 ? `${text.slice(0, 160)}...` : text);
  }

  /** A line that is itself the event text, with a fallback time. */
  scanText(text: string, fallbackMs: number): void {
    const bytes = Buffer.from(text, 'utf8');
    if (!this.scanner.scanBytes(bytes, Number.isNaN(fallbackMs) ? this.fallbackMs : fallbackMs, this.referenceMs)) this.sample(text);
  }

  record(value: unknown): void {
    const found = recordLine(value);
    if (!found) {
      this.sample(JSON.stringify(value));
      return;
    }
    const r = value as Record<string, unknown>;
    this.scanText(found.line, timeValueMs(r.timestamp ?? r.event_time ?? r.receiveTimestamp));
  }

  /** A line splitter feeding this reader: plain lines go through the scanner's WebAssembly fast path unless `kind` is js. */
  lineSplitter(maxLine: number | undefined, kind: ScannerKind): LineSplitter {
    const scanner = this.scanner;
    const fast = kind === 'wasm' ? FastLineScanner.for(scanner) : null;
    const limit = maxLine ?? MAX_LINE_BYTES;
    return new LineSplitter(
      (buf, s, e) => this.line(buf, s, e),
      maxLine,
      (buf, end) => scanner.setChunk(buf, end, { splitLines: true, sparse: fast !== null }),
      fast === null
        ? undefined
        : (buf, end, rest) => {
            // Not `this.lines += readBlock(...)`: the lines handed back count themselves meanwhile.
            const taken = fast.readBlock(buf, end, this.fallbackMs, this.referenceMs, limit, rest);
            this.lines += taken;
          },
    );
  }

  /** One line of a lines-shaped source. */
  line(buf: Buffer, s: number, e: number): void {
    this.lines += 1;
    if (e === s) return;
    const first = buf[s];
    if (first === 123) {
      const text = buf.toString('utf8', s, e);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (value !== undefined && recordLine(value)) return this.record(value);
    } else if (first >= 49 && first <= 57 && this.frames(buf, s, e)) return;
    if (!this.scanner.scanLine(s, e, this.fallbackMs, this.referenceMs)) this.sample(buf.toString('utf8', s, e));
  }

  /** RFC 6587 octet counting: `LEN SP MSG`, possibly several on one line. Returns false if the line is not framed. */
  private frames(buf: Buffer, s: number, e: number): boolean {
    let i = s;
    let framed = false;
    while (i < e) {
      let n = 0;
      let j = i;
      while (j < e && buf[j] >= 48 && buf[j] <= 57 && j - i < 9) n = n * 10 + (buf[j++] - 48);
      if (j === i || j >= e || buf[j] !== 32 || buf[j + 1] !== 60 || n === 0) return framed;
      const start = j + 1;
      const end = Math.min(e, start + n);
      framed = true;
      if (!this.scanner.scanLine(start, end, this.fallbackMs, this.referenceMs)) this.sample(buf.toString('utf8', start, end));
      i = end;
      while (i < e && (buf[i] === 32 || buf[i] === 13)) i++;
    }
    return framed;
  }
}

/** Top-level objects of a JSON array, as their text, without holding the whole array. */
class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];
  private start = -1;
  private size = 0;
  tooLong = 0;

  constructor(
    private readonly onObject: (text: string) => void,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92) this.escaped = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) {
        this.depth += 1;
        if (this.depth === 2 && c === 123) this.start = i;
      } else if (c === 125 || c === 93) {
        if (this.depth === 2 && c === 125 && (this.start >= 0 || this.parts.length > 0)) {
          const piece = chunk.subarray(this.start < 0 ? 0 : this.start, i + 1);
          this.emit(piece);
        }
        this.depth -= 1;
      }
    }
    if (this.depth >= 2 && (this.start >= 0 || this.parts.length > 0)) {
      const piece = chunk.subarray(this.start < 0 ? 0 : this.start);
      this.size += piece.length;
      if (this.size > this.maxBytes) {
        this.tooLong += 1;
        this.parts = [];
        this.size = 0;
      } else this.parts.push(Buffer.from(piece));
      this.start = -1;
    }
  }

  private emit(last: Buffer): void {
    const text = Buffer.concat([...this.parts, last]).toString('utf8');
    this.parts = [];
    this.size = 0;
    this.start = -1;
    this.onObject(text);
  }
}

export interface LoadedSources {
  readonly sources: SourceSummary[];
  readonly parts: string[];
  /** Directories to remove when done (uncached parts). */
  readonly scratch: string[];
}

/** Reads every source (or takes it from the cache) into Parquet parts. */
export async function loadSources(scanner: EventScanner, store: EventStore, sources: readonly string[], opts: LoadOptions): Promise<LoadedSources> {
  const started = Date.now();
  const scannerKind = opts.scanner ?? scannerFromEnv() ?? 'wasm';
  const sizes = sources.map((s) => (s === STDIN ? 0 : fs.statSync(s).size));
  const bytes = sizes.includes(0) && sources.includes(STDIN) ? 0 : sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  let lastProgress = 0;
  const every = opts.progressEveryMs ?? 250;
  const progress = (file: string, lines: number) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (now - lastProgress < every) return;
    lastProgress = now;
    opts.onProgress({ bytesDone, bytes, lines, elapsedMs: now - started, file });
  };
  const summaries: SourceSummary[] = [];
  const parts: string[] = [];
  const scratch: string[] = [];
  let linesBefore = 0;

  for (const [index, source] of sources.entries()) {
    let identity: FileIdentity | null = null;
    if (opts.cache && source !== STDIN) {
      identity = opts.cache.identity(source);
      const hit = opts.cache.lookup(identity);
      if (hit) {
        summaries.push({ source, lines: hit.lines, events: hit.events, untimed: hit.untimed, tooLong: hit.tooLong, samples: hit.samples, cached: true });
        parts.push(...hit.partPaths);
        bytesDone += sizes[index];
        linesBefore += hit.lines;
        continue;
      }
    }
    const dir = identity && opts.cache ? opts.cache.begin(identity) : fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-events-'));
    if (!identity) scratch.push(dir);
    const partNames: string[] = [];
    let secondHalf: Promise<import('./scan-worker').ScanRangeResult> | null = null;
    const writePart = async () => {
      const name = `part-${String(partNames.length + 1).padStart(4, '0')}.parquet`;
      if ((await store.writePart(path.join(dir, name))) > 0) partNames.push(name);
    };
    try {
      const reference = source === STDIN ? (opts.now ?? new Date()).getTime() : fs.statSync(source).mtimeMs;
      const reader = new SourceReader(scanner, source === STDIN ? NaN : pathHourMs(source), reference);
      // A large plain file: its second half goes to a worker thread, the first is read here.
      const split = source === STDIN ? null : splitPoint(source, sizes[index], opts.splitFromBytes ?? SPLIT_FROM_BYTES);
      let workerBytes = 0;
      let workerLines = 0;
      if (split !== null) {
        const { scanRangeInWorker } = require('./scan-worker') as typeof import('./scan-worker');
        const range = { file: source, start: split, end: sizes[index], dir, prefix: 'part-b', fallbackMs: pathHourMs(source), referenceMs: reference, maxLineBytes: opts.maxLineBytes, scanner: scannerKind };
        secondHalf = scanRangeInWorker(range, (bytes, lines) => {
          bytesDone += bytes - workerBytes;
          workerBytes = bytes;
          workerLines = lines;
        });
        // Awaited below (or on failure); until then a rejection must not count as unhandled.
        secondHalf.catch(() => undefined);
      }
      const maxLine = opts.maxLineBytes;
      let shape: 'lines' | 'json' | 'csv' | null = null;
      let splitter: LineSplitter | null = null;
      let json: JsonArraySplitter | null = null;
      let csv: import('csv-parse').Parser | null = null;
      let csvLine = -1;
      let csvTime = -1;
      let head = Buffer.alloc(0);
      const start = async (first: Buffer) => {
        shape = shapeOf(first);
        if (shape === 'lines') {
          splitter = reader.lineSplitter(maxLine, scannerKind);
        } else if (shape === 'json') {
          json = new JsonArraySplitter((text) => {
            reader.lines += 1;
            let value: unknown;
            try {
              value = JSON.parse(text);
            } catch {
              value = text;
            }
            reader.record(value);
          }, maxLine ?? 1 << 20);
        } else {
          const { parse } = require('csv-parse') as typeof import('csv-parse');
          csv = parse({ relax_column_count: true, relax_quotes: true, max_record_size: maxLine ?? 1 << 20, bom: true });
          csv.on('readable', () => {
            let record: string[] | null;
            while ((record = csv!.read()) !== null) {
              if (csvLine < 0) {
                const names = record.map((n) => n.trim().toLowerCase());
                csvLine = names.findIndex((n) => LINE_COLUMNS.includes(n));
                csvTime = names.findIndex((n) => TIME_COLUMNS.includes(n));
                continue;
              }
              reader.lines += 1;
              const message = record[csvLine];
              if (typeof message !== 'string' || message === '') continue;
              reader.scanText(message.replace(/\r?\n$/, ''), csvTime >= 0 ? timeValueMs(record[csvTime]) : NaN);
            }
          });
        }
      };
      for await (const chunk of sourceBytes(source, { stdin: opts.stdin, counted: (n) => (bytesDone += n), endByte: split ?? undefined })) {
        if (shape === null) {
          head = Buffer.concat([head, chunk]);
          if (head.length < 4096 && !head.includes(10)) continue;
          await start(head);
          const first = head;
          head = Buffer.alloc(0);
          await feed(first);
        } else await feed(chunk);
        progress(source, linesBefore + reader.lines + workerLines);
        if (store.pendingRows >= PART_ROWS) await writePart();
      }
      if (shape === null && head.length > 0) {
        await start(head);
        await feed(head);
      }
      async function feed(chunk: Buffer) {
        if (shape === 'lines') splitter!.push(chunk);
        else if (shape === 'json') json!.push(chunk);
        else if (shape === 'csv') await new Promise<void>((resolve, reject) => csv!.write(chunk, (err) => (err ? reject(err) : resolve())));
      }
      if (shape === 'lines') splitter!.end();
      if (shape === 'csv') {
        const parser = csv as unknown as import('csv-parse').Parser;
        await new Promise<void>((resolve, reject) => {
          parser.once('end', resolve);
          parser.once('error', reject);
          parser.end();
        });
      }
      scanner.flush();
      await writePart();
      let tooLong = (splitter as LineSplitter | null)?.tooLong ?? (json as JsonArraySplitter | null)?.tooLong ?? 0;
      let summary: SourceSummary = { source, lines: reader.lines, events: reader.events, untimed: reader.untimed, tooLong, samples: reader.samples, cached: false };
      if (secondHalf) {
        const other = await secondHalf;
        secondHalf = null;
        bytesDone += sizes[index] - split! - workerBytes;
        tooLong += other.tooLong;
        partNames.push(...other.parts);
        summary = {
          ...summary,
          lines: summary.lines + other.lines,
          events: summary.events + other.events,
          untimed: summary.untimed + other.untimed,
          tooLong,
          samples: [...summary.samples, ...other.samples].slice(0, SAMPLES),
          threads: 2,
        };
      }
      summaries.push(summary);
      let home = dir;
      if (identity && opts.cache) {
        const entry = { path: identity.realPath, lines: summary.lines, events: summary.events, untimed: summary.untimed, tooLong, samples: summary.samples, parts: partNames };
        const committed = opts.cache.commit(identity, dir, entry);
        if (committed) home = committed;
        else scratch.push(dir); // the file changed while it was read: use this parse once, keep nothing
      }
      parts.push(...partNames.map((n) => path.join(home, n)));
      linesBefore += summary.lines;
    } catch (err) {
      // Let a worker still writing into dir finish before dir goes.
      if (secondHalf) await secondHalf.catch(() => undefined);
      if (identity && opts.cache) opts.cache.abandon(dir);
      if (err instanceof EventFileError) throw err;
      if ((err as { code?: string }).code?.startsWith?.('CSV_')) throw new EventFileError(`${source}: not readable as CSV (${(err as Error).message})`);
      throw err;
    }
  }
  opts.onProgress?.({ bytesDone, bytes, lines: linesBefore, elapsedMs: Date.now() - started, file: '' });
  return { sources: summaries, parts, scratch };
}
