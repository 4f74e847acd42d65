/**
 * Scanned events in DuckDB: batches arrive as typed arrays (dictionary ids, doubles) and are
 * copied into DuckDB vectors whole (one native call per column per 2048 rows), then turned into
 * the parsed events relation (EVENT_COLUMNS, texts looked up in the dictionary) and written as
 * Parquet parts. Reports read the parts; so memory holds at most one part's raw rows however big
 * the input is, and the parts are the parse-once cache (lib/events/cache.ts).
 * DuckDB is loaded on first use so the rest of the CLI does not pay for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import type { Dictionary } from './dictionary';
import { EVENT_COLUMNS } from './relation';
import { INTEGER_COLUMNS, TEXT_COLUMNS, type EventBatch } from './scan';

export const RAW_TABLE = 'dskit_scanned';
export const DICTIONARY_TABLE = 'dskit_dictionary';
/** DuckDB's memory budget: a part's raw rows, its dictionary joins and the Parquet writer fit in it. */
export const DEFAULT_MEMORY_LIMIT = '256MB';
/** Rows per Parquet part: bounds the memory the raw rows take (about 120 bytes a row). */
export const PART_ROWS = 1 << 18;
/** Rows per Parquet row group: the writer holds one row group of texts in memory (DuckDB's default, 122,880, spilled under the memory limit and cost 3x the CPU). */
const ROW_GROUP = 32768;

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A part's columns: the parsed events relation, and the source's country (offline only). */
export const PART_COLUMNS: readonly string[] = [...EVENT_COLUMNS, 'source_country'];

/** The parsed events relation over the raw scanned rows, texts from the dictionary list. */
function materializeSelect(exactColumns: readonly string[]): string {
  const integer = (c: string) =>
    exactColumns.includes(c)
      ? `COALESCE(CASE WHEN isnan(r.${c}) THEN NULL ELSE CAST(r.${c} AS BIGINT) END, (SELECT v FROM dskit_exact x WHERE x.seq = CAST(r.seq AS BIGINT) AND x.col = '${c}'))`
      : `CASE WHEN isnan(r.${c}) THEN NULL ELSE CAST(r.${c} AS BIGINT) END`;
  const columns: Record<string, string> = {
    event_time: 'CASE WHEN isnan(r.event_ms) THEN NULL ELSE epoch_ms(CAST(r.event_ms AS BIGINT)) END',
    event_hour: "CASE WHEN isnan(r.event_ms) THEN NULL ELSE date_trunc('hour', epoch_ms(CAST(r.event_ms AS BIGINT))) END",
    reason: 't_name.text',
  };
  for (const c of TEXT_COLUMNS) columns[c] = `t_${c}.text`;
  for (const c of INTEGER_COLUMNS) columns[c] = integer(c);
  // One lookup of the dictionary per text column (DuckDB hash-joins each against the small dictionary).
  const joins = TEXT_COLUMNS.map((c) => `LEFT JOIN ${DICTIONARY_TABLE} t_${c} ON t_${c}.id = r.${c}`).join('\n');
  return `SELECT ${PART_COLUMNS.map((c) => `${columns[c]} AS ${c}`).join(', ')}
FROM ${RAW_TABLE} r
${joins}`;
}

export interface StoreOptions {
  /** DuckDB's memory limit. @default DEFAULT_MEMORY_LIMIT */
  readonly memoryLimit?: string;
  /** Where DuckDB may spill. */
  readonly tempDirectory?: string;
  /** DuckDB's threads. @default 1 */
  readonly threads?: number;
}

export class EventStore {
  private appender: DuckDBAppender | null = null;
  private chunk: DuckDBDataChunk | null = null;
  private rawRows = 0;
  private seq = 0;
  private exact: Array<[number, string, bigint]> = [];
  private dictionarySynced = 0;
  private readonly seqBuffer = new Float64Array(2048);
  private bindings: typeof import('@duckdb/node-bindings') | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly dictionary: Dictionary,
  ) {}

  static async open(dictionary: Dictionary, opts: StoreOptions = {}): Promise<EventStore> {
    const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    // One thread: the scanner is the bottleneck, and DuckDB's parallel aggregation costs about
    // twice the CPU time for these small group counts (measured by npm run bench -- events).
    // Row order means nothing in the parts; keeping it would make DuckDB buffer the joins' output.
    const config: Record<string, string> = { memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT, threads: String(opts.threads ?? 1), preserve_insertion_order: 'false' };
    if (opts.tempDirectory) config.temp_directory = opts.tempDirectory;
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    const store = new EventStore(instance, connection, dictionary);
    await store.createRaw();
    await connection.run(`CREATE TABLE ${DICTIONARY_TABLE} (id UINTEGER, text VARCHAR)`);
    // Id 0 is NULL: list index 1.
    await connection.run(`INSERT INTO ${DICTIONARY_TABLE} VALUES (0, NULL)`);
    await connection.run('CREATE TABLE dskit_exact (seq BIGINT, col VARCHAR, v BIGINT)');
    return store;
  }

  private async createRaw(): Promise<void> {
    const columns = [
      'seq DOUBLE',
      'event_ms DOUBLE',
      ...TEXT_COLUMNS.map((c) => `${c} UINTEGER`),
      ...INTEGER_COLUMNS.map((c) => `${c} DOUBLE`),
    ];
    await this.connection.run(`CREATE OR REPLACE TABLE ${RAW_TABLE} (${columns.join(', ')})`);
    this.appender = await this.connection.createAppender(RAW_TABLE);
  }

  /** Rows appended since the last part. */
  get pendingRows(): number {
    return this.rawRows;
  }

  /** Appends a scanned batch (synchronously: the scanner calls this from its loop). */
  append(batch: EventBatch): void {
    const api = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    this.bindings ??= require('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
    const duckdb = this.bindings;
    if (this.chunk === null) {
      this.chunk = api.DuckDBDataChunk.create([
        api.DOUBLE,
        api.DOUBLE,
        ...TEXT_COLUMNS.map(() => api.UINTEGER),
        ...INTEGER_COLUMNS.map(() => api.DOUBLE),
      ]);
    }
    const chunk = this.chunk;
    chunk.reset();
    const rows = batch.rows;
    const seq = this.seqBuffer;
    for (let i = 0; i < rows; i++) seq[i] = this.seq + i;
    const put = (column: number, data: ArrayBufferView) =>
      duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(chunk.chunk, column), 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    put(0, seq.subarray(0, rows));
    put(1, batch.eventMs.subarray(0, rows));
    TEXT_COLUMNS.forEach((c, i) => put(2 + i, batch.text[c].subarray(0, rows)));
    INTEGER_COLUMNS.forEach((c, i) => put(2 + TEXT_COLUMNS.length + i, batch.integer[c].subarray(0, rows)));
    chunk.rowCount = rows;
    this.appender!.appendDataChunk(chunk);
    for (const [key, value] of batch.exact) {
      const [col, row] = key.split(':');
      this.exact.push([this.seq + Number(row), col, value]);
    }
    this.seq += rows;
    this.rawRows += rows;
  }

  /** Sends dictionary entries added since the last sync. */
  private async syncDictionary(): Promise<void> {
    const count = this.dictionary.count;
    if (count <= this.dictionarySynced) return;
    const appender = await this.connection.createAppender(DICTIONARY_TABLE);
    for (let id = this.dictionarySynced + 1; id <= count; id++) {
      appender.appendUInteger(id);
      appender.appendVarchar(this.dictionary.text(id)!);
      appender.endRow();
    }
    appender.closeSync();
    this.dictionarySynced = count;
  }

  /** Writes the pending rows as a Parquet part (nothing when none) and starts a new one; returns the part's rows. */
  async writePart(file: string): Promise<number> {
    this.appender!.flushSync();
    const rows = this.rawRows;
    if (rows === 0) return 0;
    await this.syncDictionary();
    const exactColumns = [...new Set(this.exact.map(([, c]) => c))];
    if (this.exact.length > 0) {
      const appender = await this.connection.createAppender('dskit_exact');
      for (const [seq, col, v] of this.exact) {
        appender.appendBigInt(BigInt(seq));
        appender.appendVarchar(col);
        appender.appendBigInt(v);
        appender.endRow();
      }
      appender.closeSync();
      this.exact = [];
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.connection.run(`COPY (${materializeSelect(exactColumns)}) TO ${sqlText(file)} (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`);
    this.appender!.closeSync();
    await this.connection.run('DELETE FROM dskit_exact');
    await this.createRaw();
    this.rawRows = 0;
    return rows;
  }

  /** Makes `view` the union of the given parts (PART_COLUMNS); an empty relation when there are none. */
  async createEventsView(view: string, parts: readonly string[]): Promise<void> {
    if (parts.length === 0) {
      await this.connection.run(`CREATE OR REPLACE VIEW ${view} AS ${materializeSelect([])} WHERE false`);
      return;
    }
    await this.connection.run(`CREATE OR REPLACE VIEW ${view} AS SELECT ${PART_COLUMNS.join(', ')} FROM read_parquet([${parts.map(sqlText).join(', ')}])`);
  }

  close(): void {
    try {
      this.appender?.closeSync();
    } catch {
      // already closed
    }
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
