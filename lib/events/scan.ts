/**
 * The single-pass reading of raw event lines, over bytes: the same fields by the same rules as
 * the SQL the clouds run (lib/events/relation.ts), step for step, so offline reports give the
 * very rows Athena and BigQuery give (test/events/scan.test.ts proves it on samples, odd lines
 * and generated ones). Text values become dictionary ids (lib/events/dictionary.ts); nothing
 * makes a JavaScript string per line.
 *
 * How the SQL reads a line, and so how this does: the event starts at the `CEF:`/`LEEF:` that
 * ends at the line's first `|` and ends at the first CR or LF; the header must be complete. The
 * event text is normalized (`\\` → U+0002, `\|` → U+0003), split at `|`, CEF key starts
 * (` +key=`) become pair separators (U+0001), LEEF attributes split at their delimiter; a key's
 * value is its first pair, spaces trimmed, escapes undone, empty meaning absent. Lines without
 * backslashes or U+0001-U+0003 (nearly all) skip the normalization: it changes nothing there.
 */
import { Dictionary } from './dictionary';
import type { FastRows } from './fast-scan';
import { EVENT_MODULES, MANAGER_PRODUCT_MARK, MODULE_RANGES } from './modules';
import { ESCAPED_BACKSLASH_CODE, ESCAPED_BAR_CODE, PAIR_SEPARATOR_CODE } from './patterns';
import { SERVICES } from './services';

/** Text columns of a scanned batch (dictionary ids, 0 = NULL). */
export const TEXT_COLUMNS = [
  'format',
  'format_version',
  'vendor',
  'product',
  'device_version',
  'name',
  'module',
  'src',
  'dst',
  'protocol',
  'act',
  'dvchost',
  'dvc',
  'syslog_host',
  'host',
  'service',
  'user_name',
  // Offline only (the clouds have no GeoIP): the source's country, looked up once per distinct source.
  'source_country',
] as const;
export type TextColumn = (typeof TEXT_COLUMNS)[number];
/** Integer columns (BIGINT). */
export const INTEGER_COLUMNS = ['signature_id', 'severity', 'spt', 'dpt', 'host_id'] as const;
export type IntegerColumn = (typeof INTEGER_COLUMNS)[number];

/** Rows of scanned events, column by column. */
export interface EventBatch {
  rows: number;
  /** The event's time in ms since the epoch; NaN when unknown. */
  readonly eventMs: Float64Array;
  readonly text: Record<TextColumn, Uint32Array>;
  /** NaN is NULL; a value beyond 2^53 is in `exact` instead. */
  readonly integer: Record<IntegerColumn, Float64Array>;
  /** Integers too large for a double, by column and row. */
  readonly exact: Map<string, bigint>;
}

export function newBatch(capacity: number): EventBatch {
  const text = {} as Record<TextColumn, Uint32Array>;
  for (const c of TEXT_COLUMNS) text[c] = new Uint32Array(capacity);
  const integer = {} as Record<IntegerColumn, Float64Array>;
  for (const c of INTEGER_COLUMNS) integer[c] = new Float64Array(capacity);
  return { rows: 0, eventMs: new Float64Array(capacity), text, integer, exact: new Map() };
}

const PIPE = 124;
const SPACE = 32;
const TAB = 9;
const BACKSLASH = 92;
const EQUALS = 61;
const CR = 13;
const LF = 10;
const SEP = PAIR_SEPARATOR_CODE;
const ESC_BACKSLASH = ESCAPED_BACKSLASH_CODE;
const ESC_BAR = ESCAPED_BAR_CODE;
const MS_PER_DAY = 86_400_000;
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The keys read from the pairs, in the order of EXTENSION_KEYS' lookups. */
const KEYS = ['src', 'dst', 'spt', 'dpt', 'proto', 'act', 'cn1', 'dvchost', 'dvc', 'name', 'sev', 'rt', 'duser', 'suser', 'usrName', 'srcPort', 'dstPort'] as const;
const K = Object.fromEntries(KEYS.map((k, i) => [k, i])) as Record<(typeof KEYS)[number], number>;
const KEY_BYTES = KEYS.map((k) => Buffer.from(k, 'latin1'));
const SINGLE = KEYS.map((_, i) => [i]);
// Dictionary memos (Dictionary.internMemo): one per key of KEYS, then the header fields and the syslog host.
const MEMO_VENDOR = KEYS.length;
const MEMO_PRODUCT = KEYS.length + 1;
const MEMO_DEVICE_VERSION = KEYS.length + 2;
const MEMO_NAME = KEYS.length + 3;
const MEMO_VERSION = KEYS.length + 4;
const MEMO_SYSLOG_HOST = KEYS.length + 5;
const MEMO_COUNT = KEYS.length + 6;
const MEMO_SLOTS = 1024;

/** Slots of takeRows' signature id cache, less one. */
const SIGNATURE_SLOTS_MASK = (1 << 12) - 1;
// Local copies: an imported binding is read through a getter on every access.
const RANGE_LOW = MODULE_RANGES.flatMap((m) => m.ranges.map(([low]) => low));
const RANGE_HIGH = MODULE_RANGES.flatMap((m) => m.ranges.map(([, high]) => high));
const RANGE_MODULE = MODULE_RANGES.flatMap((m, i) => m.ranges.map(() => i));

const isDigit = (c: number) => c >= 48 && c <= 57;
const KEY_CHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) KEY_CHAR[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ? 1 : 0;
/**
 * A key's length and first two bytes, hashed to a slot → the KEYS index to compare against, -1
 * for none (most keys of a line are none of ours), -2 for several (then SLOT_KEYS lists them).
 * Small on purpose: a table indexed by the three directly (2 MB) missed the CPU cache on every pair.
 */
const KEY_SLOTS = 4096;
const keySlot = (length: number, first: number, second: number) => (length * 0x2f1 + first * 0x65 + second * 0x0b) & (KEY_SLOTS - 1);
const KEY_SLOT = new Int16Array(KEY_SLOTS).fill(-1);
const SLOT_KEYS: number[][] = Array.from({ length: KEY_SLOTS }, () => []);
KEYS.forEach((k, i) => {
  const slot = keySlot(k.length, k.charCodeAt(0), k.charCodeAt(1));
  SLOT_KEYS[slot].push(i);
  KEY_SLOT[slot] = SLOT_KEYS[slot].length === 1 ? i : -2;
});
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil), integers only, as the SQL does. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.trunc(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  return era * 146097 + yoe * 365 + Math.trunc(yoe / 4) - Math.trunc(yoe / 100) + Math.trunc((153 * mp + 2) / 5) + day - 1 - 719468;
}
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export interface ChunkOptions {
  /** The chunk's lines come from a line splitter (none holds an LF). @default false */
  readonly splitLines?: boolean;
  /**
   * Only a few of the chunk's lines will be read (the rest went to the WebAssembly fast path), so
   * each byte is looked for within its line, not ahead through the chunk. @default false
   */
  readonly sparse?: boolean;
}

export interface ScannerOptions {
  readonly dictionary?: Dictionary;
  /** Rows per batch. @default 2048 */
  readonly batchRows?: number;
  /** Called with each full batch, and by flush(); the batch is reused afterwards. */
  readonly onBatch: (batch: EventBatch) => void;
}

export class EventScanner {
  readonly dictionary: Dictionary;
  private readonly batch: EventBatch;
  private readonly capacity: number;
  private readonly onBatch: (batch: EventBatch) => void;
  private buf: Buffer = Buffer.alloc(0);
  private chunkEnd = 0;
  /** The chunk's lines come from a line splitter: none holds an LF, so none is looked for. */
  private splitLines = false;
  /** Only a few of the chunk's lines are read (ChunkOptions.sparse). */
  private sparse = false;
  // Next position of a byte at or after the last lookup (Infinity: none left in the chunk).
  private readonly cursor = new Float64Array(8);
  private scratch = Buffer.allocUnsafe(1 << 16);
  private value = Buffer.allocUnsafe(1 << 12);
  private readonly valueStart = new Int32Array(KEYS.length);
  private readonly valueEnd = new Int32Array(KEYS.length);
  private readonly found = new Uint32Array(KEYS.length);
  private generation = 0;
  private readonly memos = Array.from({ length: MEMO_COUNT }, () => new Uint32Array(MEMO_SLOTS));
  private readonly formatCef: number;
  private readonly formatLeef: number;
  private readonly moduleIds: number[];
  private readonly serviceIds = new Uint32Array(65536);
  /** takeRows' cache of signature ids' modules (keys NaN until set). */
  private readonly signatureKeys = new Float64Array(SIGNATURE_SLOTS_MASK + 1).fill(Number.NaN);
  private readonly signatureModules = new Uint32Array(SIGNATURE_SLOTS_MASK + 1);
  private managerChecked = new Uint8Array(1024);
  private managerFlag = new Uint8Array(1024);
  private readonly hostIdHosts = new Map<number, number>();
  private refYearMs = NaN;
  private refYear = 0;
  /** Lines read that hold a CEF or LEEF event. */
  events = 0;
  /** Of those, the ones with no time (neither their own nor a fallback). */
  untimed = 0;
  /** When set, every pair of the next lines is recorded here too (first value of a key wins), for parseEventLine. */
  allPairs: Record<string, string> | null = null;

  constructor(opts: ScannerOptions) {
    this.dictionary = opts.dictionary ?? new Dictionary();
    this.capacity = opts.batchRows ?? 2048;
    this.batch = newBatch(this.capacity);
    this.onBatch = opts.onBatch;
    const d = this.dictionary;
    this.formatCef = d.internString('CEF');
    this.formatLeef = d.internString('LEEF');
    this.moduleIds = EVENT_MODULES.map((m) => d.internString(m));
    for (const [port, name] of SERVICES) this.serviceIds[port] = d.internString(name);
  }

  /** The bytes the following scanLine calls read. */
  setChunk(buf: Buffer, end: number = buf.length, opts: ChunkOptions = {}): void {
    this.buf = buf;
    this.chunkEnd = end;
    this.splitLines = opts.splitLines ?? false;
    this.sparse = opts.sparse ?? false;
    this.cursor.fill(-1);
  }

  /** Reads one line held in its own buffer (decoded exports), leaving the current chunk as it was. */
  scanBytes(bytes: Buffer, fallbackMs: number, referenceMs: number): boolean {
    const buf = this.buf;
    const end = this.chunkEnd;
    const splitLines = this.splitLines;
    const sparse = this.sparse;
    const cursor = Float64Array.from(this.cursor);
    this.setChunk(bytes);
    try {
      return this.scanLine(0, bytes.length, fallbackMs, referenceMs);
    } finally {
      this.buf = buf;
      this.chunkEnd = end;
      this.splitLines = splitLines;
      this.sparse = sparse;
      this.cursor.set(cursor);
    }
  }

  /**
   * Rows the WebAssembly fast path read (lib/events/fast-scan.ts), in its ids: translated into
   * this dictionary's, with the columns that come from tables here (module, service, country).
   */
  takeRows(rows: FastRows): void {
    const { ids, numbers, formats, stride, translate, count } = rows;
    const batch = this.batch;
    const { text, integer, eventMs } = batch;
    // Column by column (a row-by-row loop over two dozen arrays cost twice as much); a pass
    // never runs past the end of the batch.
    const textColumns = [text.format_version, text.vendor, text.product, text.device_version, text.name, text.src, text.dst, text.protocol, text.act, text.dvchost, text.dvc, text.syslog_host, text.host, text.user_name];
    const numberColumns = [eventMs, integer.signature_id, integer.severity, integer.spt, integer.dpt, integer.host_id];
    const { format, module, service, source_country: country, src, product } = text;
    const { signature_id: signatureId, dpt } = integer;
    const serviceIds = this.serviceIds;
    const { formatCef, formatLeef, signatureKeys, signatureModules } = this;
    const system = this.moduleIds[EVENT_MODULES.length - 1];
    let lastProduct = -1;
    let lastIsManager = false;
    let r = 0;
    while (r < count) {
      const at = batch.rows;
      const n = Math.min(count - r, this.capacity - at);
      for (let c = 0; c < textColumns.length; c++) translateIds(textColumns[c], at, ids, c * stride + r, n, translate);
      for (let c = 0; c < numberColumns.length; c++) numberColumns[c].set(numbers.subarray(c * stride + r, c * stride + r + n), at);
      // The columns from tables here, one tight pass each (as above).
      const end = at + n;
      const shift = r - at;
      for (let i = at; i < end; i++) format[i] = formats[i + shift] === 1 ? formatCef : formatLeef;
      for (let i = at; i < end; i++) {
        const p = product[i];
        if (p !== lastProduct) {
          lastProduct = p;
          lastIsManager = p !== 0 && this.isManager(p);
        }
        if (lastIsManager) {
          module[i] = system;
          continue;
        }
        // A signature id's module through a direct-mapped cache (NaN never equals its key, so it always searches).
        const sig = signatureId[i];
        const slot = (sig >>> 0) & SIGNATURE_SLOTS_MASK;
        if (signatureKeys[slot] === sig) module[i] = signatureModules[slot];
        else {
          const found = this.moduleId(Number.isNaN(sig) ? null : sig, 0);
          signatureKeys[slot] = sig;
          signatureModules[slot] = found;
          module[i] = found;
        }
      }
      for (let i = at; i < end; i++) {
        const port = dpt[i];
        service[i] = port >= 0 && port < 65536 ? serviceIds[port] : 0;
      }
      for (let i = at; i < end; i++) {
        const source = src[i];
        country[i] = source === 0 ? 0 : this.countryId(source);
      }
      let untimed = 0;
      for (let i = at; i < end; i++) if (Number.isNaN(eventMs[i])) untimed++;
      this.untimed += untimed;
      batch.rows = at + n;
      this.events += n;
      r += n;
      if (batch.rows === this.capacity) this.flush();
    }
  }

  /** Emits the rows scanned so far. */
  flush(): void {
    if (this.batch.rows > 0) {
      this.onBatch(this.batch);
      this.batch.rows = 0;
      this.batch.exact.clear();
    }
  }

  /** Where `code` is next at or after `from` (Infinity: not before `limit`, or not in the chunk). */
  private next(slot: number, code: number, from: number, limit: number): number {
    if (this.sparse) {
      const b = this.buf;
      for (let i = from; i < limit; i++) if (b[i] === code) return i;
      return Infinity;
    }
    let p = this.cursor[slot];
    if (p < from) {
      const found = this.buf.indexOf(code, from);
      p = found < 0 || found >= this.chunkEnd ? Infinity : found;
      this.cursor[slot] = p;
    }
    return p;
  }

  /**
   * Reads one line, bytes [start, end) of the chunk (no LF inside, unless a caller passes one).
   * `fallbackMs` is the time the source gives the line (NaN if none); `referenceMs` dates BSD
   * timestamps when there is no fallback. Returns whether the line held an event.
   */
  scanLine(start: number, end: number, fallbackMs: number, referenceMs: number): boolean {
    const b = this.buf;
    let le = end;
    const cr = this.next(0, CR, start, le);
    if (cr < le) le = cr;
    if (!this.splitLines) {
      const lf = this.next(1, LF, start, le);
      if (lf < le) le = lf;
    }
    const pipe = this.next(2, PIPE, start, le);
    if (pipe >= le) return false;

    // The marker ends at the first |: CEF: ?[0-9]+ or LEEF: ?[12].0
    let markerStart = -1;
    let cef = false;
    let k = pipe - 1;
    while (k >= start && isDigit(b[k])) k--;
    if (k < pipe - 1) {
      let m = k;
      if (m >= start && b[m] === SPACE) m--;
      if (m - 3 >= start && b[m] === 58 && b[m - 1] === 70 && b[m - 2] === 69 && b[m - 3] === 67) {
        markerStart = m - 3;
        cef = true;
      }
    }
    if (markerStart < 0 && pipe - 3 >= start && b[pipe - 1] === 48 && b[pipe - 2] === 46 && (b[pipe - 3] === 49 || b[pipe - 3] === 50)) {
      let m = pipe - 4;
      if (m >= start && b[m] === SPACE) m--;
      if (m - 4 >= start && b[m] === 58 && b[m - 1] === 70 && b[m - 2] === 69 && b[m - 3] === 69 && b[m - 4] === 76) markerStart = m - 4;
    }
    if (markerStart < 0) return false;

    // The event text, normalized when it holds escapes or the SQL's own control characters.
    const special =
      this.next(3, BACKSLASH, markerStart, le) < le ||
      this.next(4, SEP, markerStart, le) < le ||
      this.next(5, ESC_BACKSLASH, markerStart, le) < le ||
      this.next(6, ESC_BAR, markerStart, le) < le;
    let ev: Buffer = b;
    let es = markerStart;
    let ee = le;
    if (special) {
      const n = le - markerStart;
      if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(n * 2);
      const s = this.scratch;
      let o = 0;
      for (let i = markerStart; i < le; i++) {
        const c = b[i];
        if (c === BACKSLASH && i + 1 < le && b[i + 1] === BACKSLASH) {
          s[o++] = ESC_BACKSLASH;
          i++;
        } else if (c === BACKSLASH && i + 1 < le && b[i + 1] === PIPE) {
          s[o++] = ESC_BAR;
          i++;
        } else s[o++] = c;
      }
      ev = s;
      es = 0;
      ee = o;
    }
    this.special = special;
    this.ev = ev;
    this.ee = ee;

    // Header fields: CEF has seven |-ended fields (marker included), LEEF five.
    const pipes = this.pipes;
    pipes[0] = es + (pipe - markerStart);
    const fieldCount = cef ? 6 : 4;
    for (let f = 0; f < fieldCount; f++) {
      const p = this.pipeAfter(pipes[f] + 1);
      if (p >= ee) return false;
      pipes[f + 1] = p;
    }
    const p0 = pipes[0];
    const d = this.dictionary;
    const batch = this.batch;
    const row = batch.rows;
    const text = batch.text;
    const gen = ++this.generation;

    const vendor = this.headerId(pipes[0] + 1, pipes[1], MEMO_VENDOR);
    const product = this.headerId(pipes[1] + 1, pipes[2], MEMO_PRODUCT);
    const deviceVersion = this.headerId(pipes[2] + 1, pipes[3], MEMO_DEVICE_VERSION);
    this.headerRange(pipes[3] + 1, pipes[4]);
    const signatureId = this.rangeInteger();
    let cefName = 0;
    let severity: number | bigint | null = null;
    let severityFromHeader = false;
    if (cef) {
      cefName = this.headerId(pipes[4] + 1, pipes[5], MEMO_NAME);
      if (this.headerRange(pipes[5] + 1, pipes[6]) > 0) {
        severity = this.rangeInteger();
        severityFromHeader = true;
      }
      this.cefPairs(pipes[6] + 1, ee, gen);
    } else {
      let attributes = pipes[4] + 1;
      let delimiter: Buffer = TAB_BYTES;
      const p5 = this.pipeAfter(attributes);
      if (ev[p0 - 3] === 50 && p5 < ee) {
        const field = this.delimiterField(attributes, p5);
        if (field !== null) {
          attributes = p5 + 1;
          delimiter = field;
        }
      }
      this.leefPairs(attributes, ee, delimiter, gen);
    }

    // Extension values.
    const name = cefName !== 0 ? cefName : this.valueId(K.name, gen);
    if (!severityFromHeader && this.valueRange(K.sev, gen) > 0) severity = this.rangeInteger();
    const spt = this.valueRange(K.spt, gen) > 0 || this.valueRange(K.srcPort, gen) > 0 ? this.rangeInteger() : null;
    const dpt = this.valueRange(K.dpt, gen) > 0 || this.valueRange(K.dstPort, gen) > 0 ? this.rangeInteger() : null;
    const hostId = this.valueRange(K.cn1, gen) > 0 ? this.rangeInteger() : null;
    const dvchost = this.valueId(K.dvchost, gen);
    const dvc = this.valueId(K.dvc, gen);
    let userName = this.valueId(K.duser, gen);
    if (userName === 0) userName = this.valueId(K.suser, gen);
    if (userName === 0) userName = this.valueId(K.usrName, gen);
    // The syslog timestamp, found once for both the host after it and the time.
    const stampKind = markerStart > start ? findStamp(b, start, markerStart, this.span) : 0;
    const stampStart = this.span[0];
    const syslogHost = this.syslogHost(b, start, markerStart, stampKind, stampStart);
    let host = dvchost || dvc || syslogHost;
    // No host named: cn1 makes one (rare, so its value is only interned then).
    const cn1Id = host === 0 ? this.valueId(K.cn1, gen) : 0;
    if (cn1Id !== 0) {
      let composed = this.hostIdHosts.get(cn1Id);
      if (composed === undefined) {
        composed = d.internString(`host-id:${d.text(cn1Id)}`);
        this.hostIdHosts.set(cn1Id, composed);
      }
      host = composed;
    }

    // Time: rt, else the syslog timestamp, else the source's.
    const reference = Number.isNaN(fallbackMs) ? referenceMs : fallbackMs;
    let lineMs = NaN;
    let rtShaped = false;
    if (this.valueRange(K.rt, gen) > 0) {
      const rt = this.rb.subarray(this.rs, this.re);
      rtShaped = isRtShape(rt);
      if (rtShaped) lineMs = rtMillis(rt);
    }
    if (!rtShaped && stampKind !== 0) lineMs = this.stampMillis(b, stampKind, stampStart, markerStart, reference);

    // The row.
    const eventMs = Number.isNaN(lineMs) ? fallbackMs : lineMs;
    batch.eventMs[row] = eventMs;
    if (Number.isNaN(eventMs)) this.untimed += 1;
    text.format[row] = cef ? this.formatCef : this.formatLeef;
    text.format_version[row] = cef ? this.versionId(p0) : d.internMemo(this.memos[MEMO_VERSION], ev, p0 - 3, p0);
    text.vendor[row] = vendor;
    text.product[row] = product;
    text.device_version[row] = deviceVersion;
    text.name[row] = name;
    text.module[row] = this.moduleId(signatureId, product);
    // Sources are many (a honeypot sees thousands): a memo would mostly miss, so straight to the dictionary.
    const src = this.valueRange(K.src, gen) === 0 ? 0 : d.intern(this.rb, this.rs, this.re);
    text.src[row] = src;
    text.source_country[row] = src === 0 ? 0 : this.countryId(src);
    text.dst[row] = this.valueId(K.dst, gen);
    text.protocol[row] = this.valueId(K.proto, gen);
    text.act[row] = this.valueId(K.act, gen);
    text.dvchost[row] = dvchost;
    text.dvc[row] = dvc;
    text.syslog_host[row] = syslogHost;
    text.host[row] = host;
    text.service[row] = typeof dpt === 'number' && dpt >= 0 && dpt < 65536 ? this.serviceIds[dpt] : 0;
    text.user_name[row] = userName;
    this.setInteger('signature_id', row, signatureId);
    this.setInteger('severity', row, severity);
    this.setInteger('spt', row, spt);
    this.setInteger('dpt', row, dpt);
    this.setInteger('host_id', row, hostId);
    batch.rows = row + 1;
    this.events += 1;
    if (batch.rows === this.capacity) this.flush();
    return true;
  }

  // The event being read (the chunk, or the normalized copy) and whether it was normalized.
  private ev: Buffer = Buffer.alloc(0);
  private ee = 0;
  private special = false;
  private readonly pipes = new Int32Array(8);
  // The last range a *Range method found: bytes [rs, re) of rb.
  private rb: Buffer = Buffer.alloc(0);
  private rs = 0;
  private re = 0;

  private pipeAfter(from: number): number {
    const ev = this.ev;
    const ee = this.ee;
    for (let i = from; i < ee; i++) if (ev[i] === PIPE) return i;
    return Infinity;
  }

  private versionId(p0: number): number {
    const ev = this.ev;
    let s = p0;
    while (s > 0 && isDigit(ev[s - 1])) s--;
    return this.dictionary.internMemo(this.memos[MEMO_VERSION], ev, s, p0);
  }

  /** A header field's bytes, placeholders undone, as the current range; returns its length. */
  private headerRange(s: number, e: number): number {
    if (!this.special || e <= s) {
      this.rb = this.ev;
      this.rs = s;
      this.re = Math.max(s, e);
      return this.re - s;
    }
    if (this.value.length < e - s) this.value = Buffer.allocUnsafe((e - s) * 2);
    const out = this.value;
    const ev = this.ev;
    let o = 0;
    for (let i = s; i < e; i++) {
      const c = ev[i];
      out[o++] = c === ESC_BACKSLASH ? BACKSLASH : c === ESC_BAR ? PIPE : c;
    }
    this.rb = out;
    this.rs = 0;
    this.re = o;
    return o;
  }

  /** A header field's id, empty as NULL; `slot` remembers the last one (vendor, product and version rarely change). */
  private headerId(s: number, e: number, memo: number): number {
    if (this.headerRange(s, e) === 0) return 0;
    return this.dictionary.internMemo(this.memos[memo], this.rb, this.rs, this.re);
  }

  /** CEF extension: segments start at ` +key=` (spaces dropped), and, when special, after U+0001. */
  private cefPairs(bodyStart: number, bodyEnd: number, gen: number): void {
    const ev = this.ev;
    let pieceStart = bodyStart;
    for (;;) {
      let pieceEnd = bodyEnd;
      if (this.special) {
        for (let i = pieceStart; i < bodyEnd; i++) {
          if (ev[i] === SEP) {
            pieceEnd = i;
            break;
          }
        }
      }
      let segStart = pieceStart;
      let segEq = -1;
      let q = pieceStart;
      while (q < pieceEnd && ev[q] !== EQUALS) q++;
      while (q < pieceEnd) {
        let r = q;
        while (r > pieceStart && KEY_CHAR[ev[r - 1]] === 1) r--;
        if (r < q && r > pieceStart && ev[r - 1] === SPACE) {
          let s = r - 1;
          while (s > pieceStart && ev[s - 1] === SPACE) s--;
          this.segment(segStart, segEq, s, gen);
          segStart = r;
          segEq = q;
        } else if (segEq < 0) segEq = q;
        q++;
        while (q < pieceEnd && ev[q] !== EQUALS) q++;
      }
      this.segment(segStart, segEq, pieceEnd, gen);
      if (pieceEnd >= bodyEnd) return;
      pieceStart = pieceEnd + 1;
    }
  }

  /** LEEF attributes: segments end at the delimiter, and, when special, at U+0001. */
  private leefPairs(start: number, end: number, delimiter: Buffer, gen: number): void {
    const ev = this.ev;
    const special = this.special;
    const width = delimiter.length;
    const single = width === 1 ? delimiter[0] : -1;
    let s = start;
    for (;;) {
      let e = end;
      let step = width;
      if (!special && single >= 0) {
        for (let i = s; i < end; i++) {
          if (ev[i] === single) {
            e = i;
            break;
          }
        }
      } else {
        for (let i = s; i < end; i++) {
          const c = ev[i];
          if (special && c === SEP) {
            e = i;
            step = 1;
            break;
          }
          if (single >= 0 ? c === single : i + width <= end && ev.compare(delimiter, 0, width, i, i + width) === 0) {
            e = i;
            break;
          }
        }
      }
      let eq = -1;
      for (let i = s; i < e; i++) {
        if (ev[i] === EQUALS) {
          eq = i;
          break;
        }
      }
      this.segment(s, eq, e, gen);
      if (e >= end) return;
      s = e + step;
    }
  }

  /** A pair segment [s, e) whose first `=` is at eq: records the value of a wanted key, first one wins. */
  private segment(s: number, eq: number, e: number, gen: number): void {
    if (eq <= s || eq >= e) return;
    if (this.allPairs !== null) this.recordPair(s, eq, e);
    const length = eq - s;
    if (length < 2 || length > 15) return;
    const ev = this.ev;
    const hashed = keySlot(length, ev[s], ev[s + 1]);
    const slot = KEY_SLOT[hashed];
    if (slot === -1) return;
    const candidates = slot >= 0 ? SINGLE[slot] : SLOT_KEYS[hashed];
    for (let c = 0; c < candidates.length; c++) {
      const key = candidates[c];
      const kb = KEY_BYTES[key];
      let same = true;
      for (let i = 2; i < length; i++) {
        if (ev[s + i] !== kb[i]) {
          same = false;
          break;
        }
      }
      if (!same || ev[s] !== kb[0] || ev[s + 1] !== kb[1]) continue;
      if (this.found[key] !== gen) {
        this.found[key] = gen;
        this.valueStart[key] = eq + 1;
        this.valueEnd[key] = e;
      }
      return;
    }
  }

  private recordPair(s: number, eq: number, e: number): void {
    const key = this.ev.toString('utf8', s, eq);
    if (key in this.allPairs!) return;
    this.cleanValue(eq + 1, e);
    this.allPairs![key] = this.rb.toString('utf8', this.rs, this.re);
  }

  /** A key's value (spaces trimmed, escapes undone) as the current range; returns its length (0: absent or empty). */
  private valueRange(key: number, gen: number): number {
    if (this.found[key] !== gen) return 0;
    return this.cleanValue(this.valueStart[key], this.valueEnd[key]);
  }

  /** Value bytes [s, e) trimmed and unescaped, as the current range; returns its length. */
  private cleanValue(s: number, e: number): number {
    const ev = this.ev;
    while (s < e && ev[s] === SPACE) s++;
    while (e > s && ev[e - 1] === SPACE) e--;
    if (!this.special) {
      this.rb = ev;
      this.rs = s;
      this.re = e;
      return e - s;
    }
    if (this.value.length < e - s) this.value = Buffer.allocUnsafe((e - s) * 2);
    const out = this.value;
    let o = 0;
    for (let i = s; i < e; i++) {
      const c = ev[i];
      if (c === BACKSLASH && i + 1 < e && ev[i + 1] === EQUALS) {
        out[o++] = EQUALS;
        i++;
      } else out[o++] = c === ESC_BACKSLASH ? BACKSLASH : c === ESC_BAR ? PIPE : c;
    }
    this.rb = out;
    this.rs = 0;
    this.re = o;
    return o;
  }

  private valueId(key: number, gen: number): number {
    return this.valueRange(key, gen) === 0 ? 0 : this.dictionary.internMemo(this.memos[key], this.rb, this.rs, this.re);
  }

  /** The current range as `^-?[0-9]{1,18}$`: a number (a bigint beyond 2^53), or null. */
  private rangeInteger(): number | bigint | null {
    const v = this.rb;
    const s = this.rs;
    const n = this.re;
    let i = s;
    if (i < n && v[i] === 45) i++;
    const digits = n - i;
    if (digits < 1 || digits > 18) return null;
    let x = 0;
    for (let j = i; j < n; j++) {
      const c = v[j];
      if (c < 48 || c > 57) return null;
      x = x * 10 + (c - 48);
    }
    const negative = i > s;
    if (digits > 15) {
      const big = BigInt(v.toString('latin1', s, n));
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) return big;
      return Number(big);
    }
    return negative && x !== 0 ? -x : x;
  }

  private setInteger(column: IntegerColumn, row: number, v: number | bigint | null): void {
    if (typeof v === 'number') {
      this.batch.integer[column][row] = v;
      return;
    }
    const col = this.batch.integer[column];
    if (typeof v === 'bigint') {
      col[row] = Number.NaN;
      this.batch.exact.set(`${column}:${row}`, v);
    } else col[row] = v === null ? Number.NaN : v;
  }

  private moduleId(signatureId: number | bigint | null, product: number): number {
    const system = this.moduleIds[EVENT_MODULES.length - 1];
    if (product !== 0 && this.isManager(product)) return system;
    // A signature id beyond 2^53 is beyond every range: a system event.
    if (typeof signatureId !== 'number') return system;
    for (let r = 0; r < RANGE_LOW.length; r++) if (signatureId >= RANGE_LOW[r] && signatureId <= RANGE_HIGH[r]) return this.moduleIds[RANGE_MODULE[r]];
    return system;
  }

  private countries = new Int32Array(1024).fill(-1);

  /** The dictionary id of the country of source `src` (0: none), from the GeoIP table, once per source. */
  private countryId(src: number): number {
    if (src >= this.countries.length) {
      const grown = new Int32Array(Math.max(src + 1, this.countries.length * 2)).fill(-1);
      grown.set(this.countries);
      this.countries = grown;
    }
    let id = this.countries[src];
    if (id < 0) {
      const { countryOf } = require('./geoip') as typeof import('./geoip');
      const country = countryOf(this.dictionary.text(src)!);
      id = country === null ? 0 : this.dictionary.internString(country);
      this.countries[src] = id;
    }
    return id;
  }

  private isManager(product: number): boolean {
    if (product >= this.managerChecked.length) {
      const size = Math.max(product + 1, this.managerChecked.length * 2);
      const checked = new Uint8Array(size);
      checked.set(this.managerChecked);
      const flag = new Uint8Array(size);
      flag.set(this.managerFlag);
      this.managerChecked = checked;
      this.managerFlag = flag;
    }
    if (this.managerChecked[product] === 0) {
      this.managerChecked[product] = 1;
      this.managerFlag[product] = this.dictionary.includes(product, MANAGER_PRODUCT_MARK) ? 1 : 0;
    }
    return this.managerFlag[product] === 1;
  }

  /** LEEF 2.0's delimiter field [s, e): the delimiter's bytes, or null when the field is not one. */
  private delimiterField(s: number, e: number): Buffer | null {
    const ev = this.ev;
    const n = e - s;
    let code: number;
    if (n === 0) return TAB_BYTES;
    const first = ev[s];
    const charLength = first < 0x80 ? 1 : first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
    if (n === charLength) {
      if (first === EQUALS || first === PIPE) return null;
      if (n > 1) return Buffer.from(ev.subarray(s, e));
      code = first;
    } else {
      let i = s;
      if (ev[i] === 48 && i + 1 < e && (ev[i + 1] === 120 || ev[i + 1] === 88)) i++;
      if (ev[i] !== 120 && ev[i] !== 88) return null;
      i++;
      const digits = e - i;
      if (digits < 1 || digits > 4) return null;
      for (let j = i; j < e; j++) if (!isHex(ev[j])) return null;
      code = parseInt(ev.toString('latin1', i, e), 16);
    }
    if ((code < 32 && code !== TAB) || code === BACKSLASH || (code >= 0xd800 && code <= 0xdfff)) return TAB_BYTES;
    return code < 0x80 ? ASCII_BYTES[code] : Buffer.from(String.fromCharCode(code), 'utf8');
  }

  /** The syslog header's host: after the timestamp, else the token before the event; `-` and times are none. */
  private syslogHost(b: Buffer, s: number, e: number, stampKind: number, stampStart: number): number {
    if (e === s) return 0;
    let found = false;
    if (stampKind !== 0) {
      // The usual case: the token after the stamp findStamp found is the one hostAfterStamp finds first.
      const length = stampKind === 1 ? isoLength(b, stampStart, e) : bsdLength(b, stampStart, e);
      found = tokenAfter(b, stampStart + length, e, this.span);
    }
    if (!found) found = hostAfterStamp(b, s, e, this.span);
    if (!found) found = lastToken(b, s, e, this.span);
    if (!found) return 0;
    const ts = this.span[0];
    const te = this.span[1];
    if (notAHost(b, ts, te)) return 0;
    return this.dictionary.internMemo(this.memos[MEMO_SYSLOG_HOST], b, ts, te);
  }
  private readonly span = new Int32Array(2);

  /** The time of the syslog timestamp in [s, e), or NaN. */
  private stampMillis(b: Buffer, kind: number, ts: number, e: number, reference: number): number {
    if (kind === 1) {
      const year = digitsAt(b, ts, 4);
      const month = digitsAt(b, ts + 5, 2);
      const day = digitsAt(b, ts + 8, 2);
      const hour = digitsAt(b, ts + 11, 2);
      const minute = digitsAt(b, ts + 14, 2);
      const second = digitsAt(b, ts + 17, 2);
      let i = ts + 19;
      let millis = 0;
      if (i + 1 < e && b[i] === 46 && isDigit(b[i + 1])) {
        i++;
        let place = 0;
        while (i < e && isDigit(b[i])) {
          if (place < 3) millis = millis * 10 + (b[i] - 48);
          place++;
          i++;
        }
        for (; place < 3; place++) millis *= 10;
      }
      const stampEnd = ts + isoLength(b, ts, e);
      const offset = stampEnd - i >= 5 ? isoZone(b, i, stampEnd) : 0;
      return civilMillis(year, month, day, hour, minute, second, millis, offset);
    }
    const month = monthOf(b, ts);
    let i = ts + 3;
    while (b[i] === SPACE) i++;
    let day = 0;
    while (isDigit(b[i])) day = day * 10 + (b[i++] - 48);
    i++;
    const hour = digitsAt(b, i, 2);
    const minute = digitsAt(b, i + 3, 2);
    const second = digitsAt(b, i + 6, 2);
    const ref = Number.isNaN(reference) ? Date.now() : reference;
    if (ref !== this.refYearMs) {
      this.refYearMs = ref;
      this.refYear = new Date(ref).getUTCFullYear();
    }
    const year = this.refYear;
    if (month === 0) return NaN;
    const t = civilMillis(year, month, day, hour, minute, second, 0, 0);
    if (t > ref + MS_PER_DAY) {
      const leap = (month > 2 && isLeap(year)) || (month <= 2 && isLeap(year - 1));
      return t - MS_PER_DAY * (leap ? 366 : 365);
    }
    return t;
  }
}

/** to[at..at+n) = translate[from[start..start+n)]: ids of the fast path into this dictionary's. */
function translateIds(to: Uint32Array, at: number, from: Uint32Array, start: number, n: number, translate: Uint32Array): void {
  for (let i = 0; i < n; i++) to[at + i] = translate[from[start + i]];
}

const ASCII_BYTES = Array.from({ length: 128 }, (_, c) => Buffer.from([c]));

function monthOf(b: Uint8Array, i: number): number {
  for (let m = 0; m < 12; m++) {
    const name = MONTH_BYTES[m];
    if (b[i] === name[0] && b[i + 1] === name[1] && b[i + 2] === name[2]) return m + 1;
  }
  return 0;
}
const MONTH_BYTES = MONTH_NAMES.map((m) => Buffer.from(m, 'latin1'));

const TAB_BYTES = Buffer.from('\t');

function digitsAt(b: Uint8Array, s: number, n: number): number {
  let x = 0;
  for (let i = s; i < s + n; i++) x = x * 10 + (b[i] - 48);
  return x;
}

function civilMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number, offsetMinutes: number): number {
  if (!(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) return NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis - offsetMinutes * 60_000;
}

/** The stamp's zone (`Z` or `[+-]hh:?mm`, at its end from i) in minutes; 0 without one. */
function isoZone(b: Uint8Array, i: number, e: number): number {
  if (i >= e || (b[i] !== 43 && b[i] !== 45)) return 0;
  const sign = b[i] === 45 ? -1 : 1;
  const hours = digitsAt(b, i + 1, 2);
  const j = b[i + 3] === 58 ? i + 4 : i + 3;
  return sign * (hours * 60 + digitsAt(b, j, 2));
}

const ISO_SHAPE = Buffer.from('dddd-dd-dd?dd:dd:dd', 'latin1');

/** The length of an ISO stamp at i (with its optional fraction and zone), or 0. */
function isoLength(b: Uint8Array, i: number, e: number): number {
  if (i + ISO_SHAPE.length > e) return 0;
  for (let j = 0; j < ISO_SHAPE.length; j++) {
    const c = b[i + j];
    const want = ISO_SHAPE[j];
    if (want === 100 ? !isDigit(c) : want === 63 ? c !== 84 && c !== SPACE : c !== want) return 0;
  }
  let k = i + ISO_SHAPE.length;
  if (k + 1 < e && b[k] === 46 && isDigit(b[k + 1])) {
    k++;
    while (k < e && isDigit(b[k])) k++;
  }
  if (k < e && b[k] === 90) return k + 1 - i;
  if (k + 2 < e && (b[k] === 43 || b[k] === 45) && isDigit(b[k + 1]) && isDigit(b[k + 2])) {
    const j = k + 3;
    if (j + 2 < e && b[j] === 58 && isDigit(b[j + 1]) && isDigit(b[j + 2])) return j + 3 - i;
    if (j + 1 < e && isDigit(b[j]) && isDigit(b[j + 1])) return j + 2 - i;
  }
  return k - i;
}

const CLOCK_SHAPE = Buffer.from('dd:dd:dd', 'latin1');

/** The length of a BSD stamp (`Mmm dd hh:mm:ss`, the day may be space-padded) at i, or 0. */
function bsdLength(b: Uint8Array, i: number, e: number): number {
  if (i + 3 > e || !isUpper(b[i]) || !isLower(b[i + 1]) || !isLower(b[i + 2])) return 0;
  let k = i + 3;
  if (k >= e || b[k] !== SPACE) return 0;
  while (k < e && b[k] === SPACE) k++;
  const dayStart = k;
  while (k < e && isDigit(b[k]) && k - dayStart < 2) k++;
  if (k === dayStart || k >= e || b[k] !== SPACE) return 0;
  k++;
  if (k + CLOCK_SHAPE.length > e) return 0;
  for (let j = 0; j < CLOCK_SHAPE.length; j++) {
    const c = b[k + j];
    if (CLOCK_SHAPE[j] === 100 ? !isDigit(c) : c !== 58) return 0;
  }
  return k + CLOCK_SHAPE.length - i;
}

/**
 * Where the stamp alternatives may start, in the regex's order of preference: after `<PRI>`,
 * first with an RFC 5424 VERSION (`1 `), then without. Writes them to out; returns how many.
 */
function stampStarts(b: Uint8Array, s: number, e: number, out: Int32Array): number {
  let i = s;
  if (i < e && b[i] === 60) {
    let j = i + 1;
    while (j < e && isDigit(b[j]) && j - i <= 3) j++;
    if (j > i + 1 && j - i - 1 <= 3 && j < e && b[j] === 62) i = j + 1;
  }
  let n = 0;
  let v = i;
  while (v < e && isDigit(b[v]) && v - i < 2) v++;
  if (v > i && v < e && b[v] === SPACE) out[n++] = v + 1;
  out[n++] = i;
  return n;
}

const STARTS = new Int32Array(2);

/** `stamp`: 1 for ISO, 2 for BSD (its start in span[0]), 0 for none. */
function findStamp(b: Uint8Array, s: number, e: number, span: Int32Array): number {
  const n = stampStarts(b, s, e, STARTS);
  for (let t = 0; t < n; t++) {
    const i = STARTS[t];
    span[0] = i;
    if (isoLength(b, i, e) > 0) return 1;
    if (bsdLength(b, i, e) > 0) return 2;
  }
  return 0;
}

/** Spaces then a token then a space, from k: the host position after a stamp, into span. */
function tokenAfter(b: Uint8Array, k: number, e: number, span: Int32Array): boolean {
  if (k >= e || b[k] !== SPACE) return false;
  while (k < e && b[k] === SPACE) k++;
  const ts = k;
  while (k < e && b[k] !== SPACE) k++;
  if (k > ts && k < e) {
    span[0] = ts;
    span[1] = k;
    return true;
  }
  return false;
}

/** `hostAfterStamp`: the token after the timestamp (or RFC 5424's nil `-`), followed by a space, into span. */
function hostAfterStamp(b: Uint8Array, s: number, e: number, span: Int32Array): boolean {
  const n = stampStarts(b, s, e, STARTS);
  for (let t = 0; t < n; t++) {
    const i = STARTS[t];
    for (let alt = 0; alt < 3; alt++) {
      const length = alt === 0 ? isoLength(b, i, e) : alt === 1 ? bsdLength(b, i, e) : i < e && b[i] === 45 ? 1 : 0;
      if (length > 0 && tokenAfter(b, i + length, e, span)) return true;
    }
  }
  return false;
}

/** `([^ \t|>]+)[ \t]+$`: the token right before the event, into span. */
function lastToken(b: Uint8Array, s: number, e: number, span: Int32Array): boolean {
  let k = e;
  while (k > s && (b[k - 1] === SPACE || b[k - 1] === TAB)) k--;
  if (k === e) return false;
  const te = k;
  while (k > s && b[k - 1] !== SPACE && b[k - 1] !== TAB && b[k - 1] !== PIPE && b[k - 1] !== 62) k--;
  if (k === te) return false;
  span[0] = k;
  span[1] = te;
  return true;
}

const HOST_DATE_SHAPE = Buffer.from('dddd-dd-ddT', 'latin1');

/** `notAHost`: a nil `-`, or a token that starts with a time or an ISO date. */
function notAHost(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 1 && b[s] === 45) return true;
  if (n >= 8 && isDigit(b[s]) && isDigit(b[s + 1]) && b[s + 2] === 58 && isDigit(b[s + 3]) && isDigit(b[s + 4]) && b[s + 5] === 58 && isDigit(b[s + 6]) && isDigit(b[s + 7])) return true;
  if (n >= HOST_DATE_SHAPE.length) {
    for (let j = 0; j < HOST_DATE_SHAPE.length; j++) {
      const want = HOST_DATE_SHAPE[j];
      if (want === 100 ? !isDigit(b[s + j]) : b[s + j] !== want) return false;
    }
    return true;
  }
  return false;
}

/** Whether `rt` has one of its two shapes (epoch ms or text): the SQL's rt_kind is then not NULL. */
function isRtShape(v: Uint8Array): boolean {
  return rtEpochShape(v) || rtTextShape(v);
}

function rtEpochShape(v: Uint8Array): boolean {
  if (v.length < 12 || v.length > 14) return false;
  for (let i = 0; i < v.length; i++) if (!isDigit(v[i])) return false;
  return true;
}

const RT_ZONE = /^(?:GMT|UTC)[+-][0-9]{2}:?[0-9]{2}$/;
const RT_REST = Buffer.from('dddd dd:dd:dd', 'latin1');

/** `^[A-Z][a-z]{2} [0-9]{1,2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}(?: (?:GMT|UTC)[+-][0-9]{2}:?[0-9]{2})?$` */
function rtTextShape(v: Uint8Array): boolean {
  const n = v.length;
  if (n < 19 || !isUpper(v[0]) || !isLower(v[1]) || !isLower(v[2]) || v[3] !== SPACE) return false;
  let i = 4;
  while (i < n && isDigit(v[i]) && i - 4 < 2) i++;
  if (i === 4 || v[i] !== SPACE) return false;
  i++;
  if (i + RT_REST.length > n) return false;
  for (let j = 0; j < RT_REST.length; j++) if (RT_REST[j] === 100 ? !isDigit(v[i + j]) : v[i + j] !== RT_REST[j]) return false;
  i += RT_REST.length;
  if (i === n) return true;
  return v[i] === SPACE && RT_ZONE.test(Buffer.from(v.subarray(i + 1)).toString('latin1'));
}

/** The time an `rt` of either shape gives (NaN when its fields are out of range). */
function rtMillis(v: Uint8Array): number {
  if (rtEpochShape(v)) return Number(Buffer.from(v).toString('latin1'));
  const parts = Buffer.from(v).toString('latin1').split(' ');
  const month = MONTH_NAMES.indexOf(parts[0]) + 1;
  if (month === 0) return NaN;
  const [hour, minute, second] = parts[3].split(':').map(Number);
  let offset = 0;
  if (parts[4] !== undefined) {
    const zone = parts[4].slice(3);
    offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
  }
  return civilMillis(Number(parts[2]), month, Number(parts[1]), hour, minute, second, 0, offset);
}
