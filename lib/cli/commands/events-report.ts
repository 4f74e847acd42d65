/** `dskit events report --from FILES`: every report, offline, over exported event files. */
import { REPORT_IDS } from '../../events';
import { OfflineError, runOffline } from '../../events/offline-command';
import { renderTable } from '../../events/table';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';

export const run: CommandRun<{ from: string[] }> = async (ctx, opts) => {
  try {
    const { results, input } = await runOffline(REPORT_IDS, opts.from, { cwd: ctx.cwd, io: ctx.io });
    ctx.emit(
      {
        reports: results.map((r) => ({ report: r.id, title: r.title, columns: r.columns.map((c) => c.name), rows: r.rows })),
        input,
      },
      () => results.flatMap((r, i) => [...(i > 0 ? [''] : []), `== ${r.title} (${r.id})`, ...renderTable(r)]),
    );
    return 0;
  } catch (err) {
    if (err instanceof OfflineError) throw err.usage ? new UsageError(err.message) : new OperationError(err.message);
    throw err;
  }
};
