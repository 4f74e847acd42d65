/**
 * Offline reports: exported files of raw lines (plain or gzip) loaded into an in-memory DuckDB
 * table and queried with the very SQL the clouds run (the `duckdb` rendering).
 * DuckDB is loaded on first use so the rest of the CLI does not pay for it.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { exportedLine } from './exported';
import { PATTERNS } from './patterns';
import { readLines, type ReadOptions } from './read-lines';
import { eventsSql, reportSqlOverEvents } from './index';
import { reportById, type ColumnType, type ReportId } from './reports';

export const LINES_TABLE = 'dskit_lines';
/** The lines parsed once (by the same SQL the clouds run), shared by every report. */
export const EVENTS_TABLE = 'dskit_events_parsed';

export type Cell = string | number | null;

export interface ReportResult {
  readonly id: ReportId;
  readonly title: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: ColumnType }>;
  readonly rows: ReadonlyArray<Record<string, Cell>>;
}

export { EventFileError, type ReadProgress as LoadProgress } from './read-lines';

export interface LoadOptions extends ReadOptions {
  /** The reference for syslog timestamps without a year. */
  readonly now?: Date;
}

export interface LoadSummary {
  readonly lines: number;
  /** Lines holding a CEF or LEEF event. */
  readonly events: number;
  /** Event lines without a readable time (they count everywhere but per-hour). */
  readonly untimed: number;
}


// The SQL's own tests for a complete CEF/LEEF header (the patterns are valid JS regexes too).
const IS_EVENT = new RegExp(PATTERNS.isEvent);


/** A time as the reports print it: ISO 8601 in UTC, to the second. */
export function formatTime(t: Date): string {
  return t.toISOString().replace(/\.000Z$/, 'Z');
}


export class OfflineEvents {
  private parsed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Parses the loaded lines into EVENTS_TABLE (once; lines added later are not seen). */
  async parse(): Promise<void> {
    if (this.parsed) return;
    await this.connection.run(`CREATE TABLE ${EVENTS_TABLE} AS ${eventsSql('duckdb', LINES_TABLE)}`);
    this.parsed = true;
  }

  static async open(): Promise<OfflineEvents> {
    const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE ${LINES_TABLE} (line VARCHAR, event_time TIMESTAMP)`);
    return new OfflineEvents(instance, connection);
  }

  /** Adds lines as they are (tests and callers that already split their input). */
  async addLines(lines: Iterable<{ readonly line: string; readonly eventTime: Date | null }>): Promise<void> {
    const appender = await this.connection.createAppender(LINES_TABLE);
    const append = lineAppender(appender);
    for (const { line, eventTime } of lines) append(line, eventTime);
    appender.closeSync();
  }

  /** Loads exported files (one event per line; gzip is detected by content, not by name). */
  async loadFiles(files: readonly string[], opts: LoadOptions = {}): Promise<LoadSummary> {
    const now = opts.now ?? new Date();
    let lines = 0;
    let events = 0;
    let untimed = 0;
    const appender = await this.connection.createAppender(LINES_TABLE);
    const append = lineAppender(appender);
    try {
      await readLines(
        files,
        (text) => {
          if (text === '') return;
          lines += 1;
          const { line, eventTime } = exportedLine(text, now);
          if (IS_EVENT.test(line)) {
            events += 1;
            if (!eventTime) untimed += 1;
          }
          append(line, eventTime);
        },
        opts,
      );
    } finally {
      appender.closeSync();
    }
    return { lines, events, untimed };
  }

  async runReport(id: ReportId): Promise<ReportResult> {
    const report = reportById(id);
    await this.parse();
    const reader = await this.connection.runAndReadAll(reportSqlOverEvents(id, EVENTS_TABLE));
    const rows = reader.getRowObjectsJS().map((row) => {
      const out: Record<string, Cell> = {};
      for (const c of report.columns) out[c.name] = toCell(row[c.name]);
      return out;
    });
    return { id, title: report.title, columns: report.columns.map(({ name, type }) => ({ name, type })), rows };
  }

  /** Any query over the loaded lines (table `dskit_lines`), rows as plain values. */
  async query(sql: string): Promise<Array<Record<string, Cell>>> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toCell(v)])));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Appends rows of LINES_TABLE: a line and its time (NULL when unknown). */
function lineAppender(appender: DuckDBAppender): (line: string, eventTime: Date | null) => void {
  const { timestampValue } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  return (line, eventTime) => {
    appender.appendVarchar(line);
    if (eventTime) appender.appendTimestamp(timestampValue(BigInt(eventTime.getTime()) * 1000n));
    else appender.appendNull();
    appender.endRow();
  };
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return formatTime(value);
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}
