/** `dskit events query REPORT --from FILES [--format table|csv|json]`: one report, offline, over exported event files. */
import { ALL_REPORTS, isReportId } from '../../events';
import { OfflineError, runOffline } from '../../events/offline-command';
import { renderCsv, renderTable } from '../../events/table';
import { didYouMean } from '../../config/suggest';
import type { CommandContext } from '../context';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';
import { problem } from '../output';

export interface EventsOptions {
  readonly from: string[];
  readonly format?: string;
  /** false with --no-cache */
  readonly cache?: boolean;
}

const FORMATS = ['table', 'csv', 'json'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** `--format`, with the global `--json` meaning json. */
export function outputFormat(ctx: CommandContext, given: string | undefined): OutputFormat {
  if (given === undefined) return ctx.json ? 'json' : 'table';
  if (!(FORMATS as readonly string[]).includes(given)) throw new UsageError(`--format: got "${given}"; allowed: ${FORMATS.join(' | ')}`);
  return given as OutputFormat;
}

/** One line: the value, the closest report when it looks like a typo, and the ids (`events query --help` describes each). */
export function unknownReport(given: string): UsageError {
  const ids = ALL_REPORTS.map((r) => r.id);
  return new UsageError(`<report>: unknown report "${given}"; allowed: ${ids.join(' | ')}${didYouMean(given, ids)} (dskit events query --help describes each)`);
}

export const run: CommandRun<EventsOptions> = async (ctx, opts, args) => {
  const [id] = args;
  if (id === undefined || !isReportId(id)) throw unknownReport(id ?? '');
  const format = outputFormat(ctx, opts.format);
  try {
    const { results, input, notes } = await runOffline([id], opts.from, { cwd: ctx.cwd, io: ctx.io, env: ctx.env, noCache: opts.cache === false });
    const [result] = results;
    for (const note of notes) ctx.problem(problem('warning', note));
    const data = { report: result.id, title: result.title, columns: result.columns.map((c) => c.name), rows: result.rows, input };
    // --json: the envelope with this as its data; --format json alone: this data, plain.
    ctx.emit(data, () =>
      format === 'json' ? [JSON.stringify(data, null, 2)] : format === 'csv' ? renderCsv(result) : [`== ${result.title} (${result.id})`, ...renderTable(result)],
    );
    return 0;
  } catch (err) {
    if (err instanceof OfflineError) throw err.usage ? new UsageError(err.message) : new OperationError(err.message);
    throw err;
  }
};
