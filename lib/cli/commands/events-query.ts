/** `dskit events query REPORT --from FILES`: one report, offline, over exported event files. */
import { isReportId, REPORTS } from '../../events';
import { OfflineError, runOffline } from '../../events/offline-command';
import { renderTable } from '../../events/table';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';

export function unknownReport(given: string): UsageError {
  const list = REPORTS.map((r) => `  ${r.id.padEnd(24)}${r.description}`).join('\n');
  return new UsageError(`events query: unknown report "${given}"; the reports are:\n${list}`);
}

export const run: CommandRun<{ from: string[] }> = async (ctx, opts, args) => {
  const [id] = args;
  if (id === undefined || !isReportId(id)) throw unknownReport(id ?? '');
  try {
    const { results, input } = await runOffline([id], opts.from, { cwd: ctx.cwd, io: ctx.io });
    const [result] = results;
    ctx.emit({ report: result.id, title: result.title, columns: result.columns.map((c) => c.name), rows: result.rows, input }, () => [
      `== ${result.title} (${result.id})`,
      ...renderTable(result),
    ]);
    return 0;
  } catch (err) {
    if (err instanceof OfflineError) throw err.usage ? new UsageError(err.message) : new OperationError(err.message);
    throw err;
  }
};
