/**
 * What `dskit events query` and `dskit events report` share: read the `--from` files into
 * DuckDB with progress on stderr, say what was read, then run reports.
 */
import { InputError, inputFiles } from './inputs';
import { EventFileError, OfflineEvents, type LoadProgress, type LoadSummary, type ReportResult } from './offline';
import type { ReportId } from './reports';

export interface OfflineIo {
  /** Progress and notices (stderr). */
  err(line: string): void;
}

export interface OfflineRun {
  readonly results: ReportResult[];
  readonly input: LoadSummary & { readonly files: number };
}

/** A failure the user can act on: bad `--from` (usage) or an unreadable file (problem). */
export class OfflineError extends Error {
  override name = 'OfflineError';
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

function progressLine(p: LoadProgress): string {
  const pct = p.bytes > 0 ? Math.min(100, Math.floor((100 * p.bytesDone) / p.bytes)) : 100;
  return `reading events: ${mb(p.bytesDone)} of ${mb(p.bytes)} (${pct}%), ${p.lines.toLocaleString('en-US')} lines, file ${p.filesDone + 1} of ${p.files}`;
}

export async function runOffline(
  ids: readonly ReportId[],
  from: readonly string[],
  opts: { readonly cwd: string; readonly io: OfflineIo; readonly progressEveryMs?: number; readonly now?: Date },
): Promise<OfflineRun> {
  let files: string[];
  try {
    files = inputFiles(from, opts.cwd);
  } catch (err) {
    if (err instanceof InputError) throw new OfflineError(err.message, true);
    throw err;
  }
  const db = await OfflineEvents.open();
  try {
    let summary: LoadSummary;
    try {
      summary = await db.loadFiles(files, {
        onProgress: (p) => opts.io.err(progressLine(p)),
        progressEveryMs: opts.progressEveryMs,
        now: opts.now,
      });
    } catch (err) {
      if (err instanceof EventFileError) throw new OfflineError(err.message, false);
      throw err;
    }
    opts.io.err(`read ${plural(summary.events, 'event')} from ${plural(summary.lines, 'line')} in ${plural(files.length, 'file')}`);
    const ignored = summary.lines - summary.events;
    if (summary.lines > 0 && summary.events === 0) {
      throw new OfflineError(
        `no CEF or LEEF event in the ${summary.lines} lines read: --from wants the raw lines the agents sent (one event per line, e.g. "... CEF:0|Trend Micro|Deep Security Agent|..."), plain or gzip`,
        false,
      );
    }
    if (ignored > 0) opts.io.err(`ignored ${plural(ignored, 'line')} without a CEF or LEEF event`);
    if (summary.untimed > 0) {
      opts.io.err(`${plural(summary.untimed, 'event')} without a readable time: counted in every report, under an empty hour per host`);
    }
    if (summary.lines >= 100_000) opts.io.err(`parsing ${summary.lines.toLocaleString('en-US')} lines...`);
    await db.parse();
    const results: ReportResult[] = [];
    for (const id of ids) results.push(await db.runReport(id));
    return { results, input: { ...summary, files: files.length } };
  } finally {
    db.close();
  }
}
