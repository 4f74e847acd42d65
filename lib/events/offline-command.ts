/**
 * What `dskit events query` and `dskit events report` share: resolve `--from`, read the sources
 * (or take them from the parse-once cache), say on stderr what was read, then run reports.
 */
import * as os from 'node:os';
import { defaultCacheDir, EventCache } from './cache';
import { SCANNER_KINDS, scannerFromEnv } from './fast-scan';
import { InputError, inputFiles } from './inputs';
import { availableCores } from './load';
import { EventFileError, OfflineEvents, type LoadSummary, type ReportResult } from './offline';
import { ProgressLine, type ProgressStream } from './progress';
import type { ReportId } from './reports';
import { DEFAULT_MEMORY_LIMIT } from './store';

export interface OfflineIo {
  /** Notices (stderr). */
  err(line: string): void;
}

export interface OfflineRun {
  readonly results: ReportResult[];
  /** What the reports leave out (lines without an event, too long, untimed), one line each. */
  readonly notes: readonly string[];
  readonly input: { readonly files: number; readonly lines: number; readonly events: number; readonly untimed: number; readonly cachedFiles: number };
}

/** A failure the user can act on: bad `--from` (usage) or an unreadable source (problem). */
export class OfflineError extends Error {
  override name = 'OfflineError';
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export interface OfflineOptions {
  readonly cwd: string;
  readonly io: OfflineIo;
  readonly env?: NodeJS.ProcessEnv;
  /** Read everything afresh and keep nothing (`--no-cache`). */
  readonly noCache?: boolean;
  /** Where the live progress line goes (a terminal); nothing is drawn on anything else. @default process.stderr */
  readonly progress?: ProgressStream;
  readonly stdin?: NodeJS.ReadableStream;
  readonly now?: Date;
}

function nothingParsed(summary: LoadSummary): string {
  const samples = summary.sources.flatMap((s) => s.samples).slice(0, 3);
  const shown = samples.length > 0 ? `; the lines look like:\n${samples.map((l) => `  ${JSON.stringify(l)}`).join('\n')}` : '';
  return (
    `no CEF or LEEF event in the ${plural(summary.lines, 'line')} read${shown}\n` +
    '--from wants the raw lines the agents sent (one event per line, e.g. "<134>Nov 27 05:00:00 host CEF:0|Trend Micro|Deep Security Agent|..."), ' +
    'plain or gzip, or the clouds\' exports of them (Cloud Logging / BigQuery JSON, Athena or BigQuery CSV)'
  );
}

/** Whether DuckDB ran out of its memory budget. */
function isOutOfMemory(err: unknown): boolean {
  return /Out of Memory Error|could not allocate block|failed to pin block/.test((err as Error)?.message ?? '');
}

/** DuckDB's out-of-memory error, as a line that says what to do. */
function outOfMemory(err: unknown, limit: string): never {
  if (isOutOfMemory(err)) {
    throw new OfflineError(`the reports needed more than DuckDB's ${limit} memory budget; run again with DSKIT_EVENTS_MEMORY=1GB (or more)`, false);
  }
  throw err;
}

export async function runOffline(ids: readonly ReportId[], from: readonly string[], opts: OfflineOptions): Promise<OfflineRun> {
  try {
    return await runOfflineWithin(ids, from, opts);
  } catch (err) {
    return outOfMemory(err, (opts.env ?? process.env).DSKIT_EVENTS_MEMORY ?? DEFAULT_MEMORY_LIMIT);
  }
}

async function runOfflineWithin(ids: readonly ReportId[], from: readonly string[], opts: OfflineOptions): Promise<OfflineRun> {
  let files: string[];
  try {
    files = inputFiles(from, opts.cwd);
  } catch (err) {
    if (err instanceof InputError) throw new OfflineError(err.message, true);
    throw err;
  }
  const env = opts.env ?? process.env;
  const cache = opts.noCache ? null : new EventCache(defaultCacheDir(env));
  const memoryLimit = env.DSKIT_EVENTS_MEMORY;
  if (memoryLimit !== undefined && !/^\d+(?:\.\d+)?\s*(?:KB|MB|GB|KiB|MiB|GiB)$/i.test(memoryLimit)) {
    throw new OfflineError(`DSKIT_EVENTS_MEMORY: got "${memoryLimit}"; allowed: a size such as 512MB or 2GB`, true);
  }
  // DSKIT_EVENTS_THREADS=1 keeps the scan and the reports on one thread (a shared machine); 2 (the
  // default) splits large plain files and runs two reports at a time.
  const threads = env.DSKIT_EVENTS_THREADS;
  if (threads !== undefined && threads !== '1' && threads !== '2') {
    throw new OfflineError(`DSKIT_EVENTS_THREADS: got "${threads}"; allowed: 1 or 2`, true);
  }
  // DSKIT_EVENTS_SCANNER=js reads every line with the TypeScript scanner (the WebAssembly fast path off).
  const scanner = scannerFromEnv(env);
  if (scanner === null) throw new OfflineError(`DSKIT_EVENTS_SCANNER: got "${env.DSKIT_EVENTS_SCANNER}"; allowed: ${SCANNER_KINDS.join(' or ')}`, true);
  const db = await OfflineEvents.open({ tempDirectory: os.tmpdir(), memoryLimit });
  const line = new ProgressLine(opts.progress ?? process.stderr);
  try {
    let summary: LoadSummary;
    try {
      summary = await db.load(files, { cache, onProgress: (p) => line.update(p), stdin: opts.stdin, now: opts.now, splitFromBytes: threads === '1' ? Infinity : undefined, scanner });
    } catch (err) {
      if (err instanceof EventFileError) throw new OfflineError(err.message, false);
      throw err;
    } finally {
      line.done();
    }
    const fromCache = summary.cached > 0 ? ` (${summary.cached} from the cache)` : '';
    opts.io.err(`read ${plural(summary.events, 'event')} from ${plural(summary.lines, 'line')} in ${plural(files.length, 'file')}${fromCache}`);
    if (summary.lines > 0 && summary.events === 0) throw new OfflineError(nothingParsed(summary), false);
    // What the reports leave out or place oddly: on stderr now, and returned for --json's problems.
    const notes: string[] = [];
    const ignored = summary.lines - summary.events;
    if (ignored > 0) notes.push(`ignored ${plural(ignored, 'line')} without a CEF or LEEF event`);
    if (summary.tooLong > 0) notes.push(`skipped ${plural(summary.tooLong, 'line')} longer than 1 MiB`);
    if (summary.untimed > 0) notes.push(`${plural(summary.untimed, 'event')} without a readable time: counted in every report, under an empty hour per host`);
    for (const note of notes) opts.io.err(note);
    // Two reports at a time on two cores (DSKIT_EVENTS_THREADS=1: one at a time, one core). The
    // two share DuckDB's memory budget: when they run out together, they run again one at a time.
    const lanes = threads === '1' ? 1 : Math.min(2, availableCores());
    let results: ReportResult[];
    try {
      results = await db.runReports(ids, lanes);
    } catch (err) {
      if (lanes === 1 || !isOutOfMemory(err)) throw err;
      results = await db.runReports(ids, 1);
    }
    return {
      results,
      notes,
      input: { files: files.length, lines: summary.lines, events: summary.events, untimed: summary.untimed, cachedFiles: summary.cached },
    };
  } finally {
    db.close();
  }
}
