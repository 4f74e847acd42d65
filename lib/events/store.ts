/**
 * Scanned events into Parquet parts, and the DuckDB that reads them: batches arrive as typed
 * arrays (dictionary ids, doubles) and are kept, column by column, until a part is full; the
 * part is then written in the parsed events' shape (PART_COLUMNS) by lib/events/parquet.ts, each
 * text column dictionary-encoded with the texts that part holds (no string made per row, no
 * join looking texts up), times and integers as TIMESTAMP and BIGINT. Reports read the parts
 * through a DuckDB view; so memory holds at most one part's rows however big the input is, and
 * the parts are the parse-once cache (lib/events/cache.ts). DuckDB is loaded on first use so the
 * rest of the CLI does not pay for it.
 *
 * Why not DuckDB for the parts: raw ids in a table with one LEFT JOIN of the dictionary per text
 * column cost about 3.7 us a row, and even handing DuckDB ENUM columns to COPY cost about 2 us,
 * more than scanning the line (npm run bench -- events).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Dictionary } from './dictionary';
import { bitWidth, dictionaryIndices, writeParquet, type ParquetColumn } from './parquet';
import { PartEncoder } from './part-encoder';
import { EVENT_COLUMNS } from './relation';
import { INTEGER_COLUMNS, TEXT_COLUMNS, type EventBatch, type IntegerColumn, type TextColumn } from './scan';

/** DuckDB's memory budget for the reports. */
export const DEFAULT_MEMORY_LIMIT = '256MB';
/** Rows per Parquet part: bounds the memory the pending rows take (about 120 bytes a row). */
export const PART_ROWS = 1 << 18;
/** Rows per scanned batch (the scanner's default). */
const CHUNK_ROWS = 2048;
const TWO_32 = 4294967296;
const MS_PER_HOUR = 3_600_000;

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A part's columns: the parsed events relation, and the source's country (offline only). */
export const PART_COLUMNS: readonly string[] = [...EVENT_COLUMNS, 'source_country'];

type PartColumn =
  | { readonly kind: 'time'; readonly hour: boolean }
  | { readonly kind: 'text'; readonly index: number }
  | { readonly kind: 'integer'; readonly index: number };

/** Where each part column's values come from: the event's time, a text column (reason is the name), an integer column. */
const PART_SOURCES: readonly PartColumn[] = PART_COLUMNS.map((c): PartColumn => {
  if (c === 'event_time' || c === 'event_hour') return { kind: 'time', hour: c === 'event_hour' };
  const text = TEXT_COLUMNS.indexOf((c === 'reason' ? 'name' : c) as TextColumn);
  if (text >= 0) return { kind: 'text', index: text };
  const integer = INTEGER_COLUMNS.indexOf(c as IntegerColumn);
  if (integer >= 0) return { kind: 'integer', index: integer };
  throw new Error(`store: no scanned column gives ${c}`);
});

/** The parsed events relation with no rows (the events view before any part). */
const EMPTY_EVENTS = `SELECT ${PART_COLUMNS.map((c, i) => {
  const source = PART_SOURCES[i];
  return `CAST(NULL AS ${source.kind === 'time' ? 'TIMESTAMP' : source.kind === 'text' ? 'VARCHAR' : 'BIGINT'}) AS ${c}`;
}).join(', ')} WHERE false`;

/** The rows of the part being read, column by column, until writePart hands them to DuckDB. */
class PendingPart {
  rows = 0;
  private capacity = 0;
  eventMs = new Float64Array(0);
  text: Uint32Array[] = TEXT_COLUMNS.map(() => new Uint32Array(0));
  integer: Float64Array[] = INTEGER_COLUMNS.map(() => new Float64Array(0));
  /** Integers beyond 2^53 (NaN in `integer`), by column, then row of the part. */
  exact: Array<Map<number, bigint>> = INTEGER_COLUMNS.map(() => new Map());

  add(batch: EventBatch): void {
    const rows = batch.rows;
    this.reserve(this.rows + rows);
    const at = this.rows;
    this.eventMs.set(batch.eventMs.subarray(0, rows), at);
    TEXT_COLUMNS.forEach((c, i) => this.text[i].set(batch.text[c].subarray(0, rows), at));
    INTEGER_COLUMNS.forEach((c, i) => this.integer[i].set(batch.integer[c].subarray(0, rows), at));
    for (const [key, value] of batch.exact) {
      const [column, row] = key.split(':');
      this.exact[INTEGER_COLUMNS.indexOf(column as IntegerColumn)].set(at + Number(row), value);
    }
    this.rows += rows;
  }

  clear(): void {
    this.rows = 0;
    for (const m of this.exact) m.clear();
  }

  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    // A part ends just past PART_ROWS (load checks once per read chunk): room for that first, then half again.
    const capacity = Math.max(rows, this.capacity === 0 ? PART_ROWS + 8 * CHUNK_ROWS : Math.ceil(this.capacity * 1.5));
    const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.rows));
      return b;
    };
    this.eventMs = grow(this.eventMs, (n) => new Float64Array(n));
    this.text = this.text.map((a) => grow(a, (n) => new Uint32Array(n)));
    this.integer = this.integer.map((a) => grow(a, (n) => new Float64Array(n)));
    this.capacity = capacity;
  }
}

/** Writes a safe integer as int64 (two little-endian 32-bit words) at row i. */
function putInt64(words: Int32Array, i: number, x: number): void {
  const high = Math.floor(x / TWO_32);
  words[2 * i] = x - high * TWO_32;
  words[2 * i + 1] = high;
}

/** Writes ms * 1000 (a TIMESTAMP's microseconds) as int64 at row i, exactly although it may pass 2^53. */
function putMicros(words: Int32Array, i: number, ms: number): void {
  const high = Math.floor(ms / TWO_32);
  const low = (ms - high * TWO_32) * 1000;
  const carry = Math.floor(low / TWO_32);
  words[2 * i] = low - carry * TWO_32;
  words[2 * i + 1] = high * 1000 + carry;
}

/** DuckDB's CAST(DOUBLE AS BIGINT), as the SQL turned the event's ms into a time: to the nearest, halves to even. */
function roundMs(ms: number): number {
  if (Number.isInteger(ms)) return ms;
  return Math.abs(ms % 1) === 0.5 ? 2 * Math.round(ms / 2) : Math.round(ms);
}

export interface StoreOptions {
  /** DuckDB's memory limit. @default DEFAULT_MEMORY_LIMIT */
  readonly memoryLimit?: string;
  /** Where DuckDB may spill. */
  readonly tempDirectory?: string;
  /** DuckDB's threads. @default 1 */
  readonly threads?: number;
}

export interface PartWriterOptions {
  /** Which encoder writes the columns: the WebAssembly module, or TypeScript. @default wasm */
  readonly encoder?: 'wasm' | 'js';
}

/** No bytes: a text column without members has no dictionary indices. */
const NO_BYTES = new Uint8Array(0);

/**
 * Scanned batches into Parquet parts, with no DuckDB: what a scanning worker thread needs too
 * (lib/events/scan-worker.ts). A part's texts are written from this writer's dictionary.
 */
export class PartWriter {
  private readonly pending = new PendingPart();
  /** Per dictionary id, its member index + 1 in the column being written (0: not yet seen). */
  private memberOf = new Uint32Array(0);
  /** Encodes the columns (null: TypeScript does, as the tests compare). */
  private readonly encoder: PartEncoder | null;

  constructor(
    private readonly dictionary: Dictionary,
    opts: PartWriterOptions = {},
  ) {
    this.encoder = (opts.encoder ?? 'wasm') === 'wasm' ? new PartEncoder() : null;
  }

  /** Rows appended since the last part. */
  get pendingRows(): number {
    return this.pending.rows;
  }

  /** Appends a scanned batch (synchronously: the scanner calls this from its loop). */
  append(batch: EventBatch): void {
    this.pending.add(batch);
  }

  /**
   * A text column of the part: its dictionary ids as member codes (by first appearance), the
   * members in code order, and which rows are present. Texts equal once decoded (two invalid
   * UTF-8 byte strings both read as U+FFFD) share a member, as they are the same VARCHAR: only
   * texts holding U+FFFD can, so only a column with two of those equal is numbered here in
   * TypeScript rather than by the encoder.
   */
  private textColumn(name: string, ids: Uint32Array, rows: number): ParquetColumn {
    const encoder = this.encoder;
    if (encoder !== null) {
      const encoded = encoder.text(ids, rows, this.dictionary.count + 1);
      const members = new Array<string>(encoded.memberIds.length);
      let replaced: Set<string> | null = null;
      let clash = false;
      for (let m = 0; m < members.length && !clash; m++) {
        const text = this.dictionary.text(encoded.memberIds[m])!;
        members[m] = text;
        if (text.includes('\uFFFD')) {
          replaced ??= new Set();
          clash = replaced.has(text);
          replaced.add(text);
        }
      }
      if (!clash) {
        const indices = members.length > 0 ? encoded.indices(bitWidth(members.length)) : NO_BYTES;
        return { name, kind: 'text', members, present: encoded.present, count: encoded.count, indices };
      }
    }
    return this.textColumnInTypeScript(name, ids, rows);
  }

  /** textColumn's numbering in TypeScript (the ids stay as they are: name and reason share them). */
  private textColumnInTypeScript(name: string, ids: Uint32Array, rows: number): ParquetColumn {
    if (this.memberOf.length <= this.dictionary.count) this.memberOf = new Uint32Array(Math.max(this.dictionary.count + 1, this.memberOf.length * 2));
    const memberOf = this.memberOf;
    const members: string[] = [];
    const seen: number[] = [];
    const byText = new Map<string, number>();
    const codes = new Uint32Array(rows);
    const present = new Uint8Array(Math.ceil(rows / 8) + 1);
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const id = ids[r];
      if (id === 0) continue;
      let code = memberOf[id];
      if (code === 0) {
        const text = this.dictionary.text(id)!;
        code = byText.get(text) ?? 0;
        if (code === 0) {
          code = members.push(text);
          byText.set(text, code);
        }
        memberOf[id] = code;
        seen.push(id);
      }
      codes[r] = code;
      present[r >> 3] |= 1 << (r & 7);
      count++;
    }
    for (const id of seen) memberOf[id] = 0;
    const indices = members.length > 0 ? dictionaryIndices(codes, rows, count, members.length) : NO_BYTES;
    return { name, kind: 'text', members, present, count, indices };
  }

  /** Writes the pending rows as a Parquet part (nothing when none) and starts a new one; returns the part's rows. */
  writePart(file: string): number {
    const part = this.pending;
    const rows = part.rows;
    if (rows === 0) return 0;
    // Each column is encoded just before it is written (the encoder's output is a view into its memory).
    const columns = PART_COLUMNS.map((name, i) => (): ParquetColumn => {
      const source = PART_SOURCES[i];
      if (source.kind === 'text') return this.textColumn(name, part.text[source.index], rows);
      return source.kind === 'time' ? this.timeColumn(name, rows, source.hour) : this.integerColumn(name, rows, source.index);
    });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeParquet(file, rows, columns);
    part.clear();
    return rows;
  }

  /** The event's time (or its hour) as TIMESTAMP microseconds. */
  private timeColumn(name: string, rows: number, hour: boolean): ParquetColumn {
    const eventMs = this.pending.eventMs;
    if (this.encoder !== null) return { name, kind: 'timestamp', ...this.encoder.time(eventMs, rows, hour) };
    const present = new Uint8Array(Math.ceil(rows / 8) + 1);
    const values = new Int32Array(rows * 2);
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const ms = eventMs[r];
      if (Number.isNaN(ms)) continue;
      present[r >> 3] |= 1 << (r & 7);
      const rounded = roundMs(ms);
      putMicros(values, count++, hour ? Math.floor(rounded / MS_PER_HOUR) * MS_PER_HOUR : rounded);
    }
    return { name, kind: 'timestamp', present, values, count };
  }

  /** An integer column as BIGINT (NaN is NULL, unless the value is one of the exact ones beyond 2^53: those are written here). */
  private integerColumn(name: string, rows: number, index: number): ParquetColumn {
    const doubles = this.pending.integer[index];
    const exact = this.pending.exact[index];
    if (this.encoder !== null && exact.size === 0) return { name, kind: 'bigint', ...this.encoder.bigint(doubles, rows) };
    const present = new Uint8Array(Math.ceil(rows / 8) + 1);
    const values = new Int32Array(rows * 2);
    const int64 = new BigInt64Array(values.buffer);
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const x = doubles[r];
      if (!Number.isNaN(x)) putInt64(values, count++, x);
      else {
        const big = exact.size > 0 ? exact.get(r) : undefined;
        if (big === undefined) continue;
        int64[count++] = big;
      }
      present[r >> 3] |= 1 << (r & 7);
    }
    return { name, kind: 'bigint', present, values, count };
  }
}

/** The scanned events' parts, and the DuckDB that reads them. */
export class EventStore {
  readonly parts: PartWriter;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    dictionary: Dictionary,
  ) {
    this.parts = new PartWriter(dictionary);
  }

  static async open(dictionary: Dictionary, opts: StoreOptions = {}): Promise<EventStore> {
    const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    // One thread: the scanner is the bottleneck, and DuckDB's parallel aggregation costs about
    // twice the CPU time for these small group counts (measured by npm run bench -- events).
    const config: Record<string, string> = { memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT, threads: String(opts.threads ?? 1), preserve_insertion_order: 'false' };
    if (opts.tempDirectory) config.temp_directory = opts.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    return new EventStore(instance, connection, dictionary);
  }

  /** Another connection to the same database (its views included): a second report can run on it meanwhile. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Rows appended since the last part. */
  get pendingRows(): number {
    return this.parts.pendingRows;
  }

  /** Appends a scanned batch (synchronously: the scanner calls this from its loop). */
  append(batch: EventBatch): void {
    this.parts.append(batch);
  }

  /** Writes the pending rows as a Parquet part (nothing when none); returns the part's rows. */
  async writePart(file: string): Promise<number> {
    return this.parts.writePart(file);
  }

  /** Makes `view` the union of the given parts (PART_COLUMNS); an empty relation when there are none. */
  async createEventsView(view: string, parts: readonly string[]): Promise<void> {
    if (parts.length === 0) {
      await this.connection.run(`CREATE OR REPLACE VIEW ${view} AS ${EMPTY_EVENTS}`);
      return;
    }
    await this.connection.run(`CREATE OR REPLACE VIEW ${view} AS SELECT ${PART_COLUMNS.join(', ')} FROM read_parquet([${parts.map(sqlText).join(', ')}])`);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
