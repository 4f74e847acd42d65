/** `dskit events report --from FILES [--html FILE] [--format table|csv|json]`: every report, offline. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPORT_IDS } from '../../events';
import { OfflineError, runOffline } from '../../events/offline-command';
import { renderCsv, renderTable } from '../../events/table';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';
import { problem } from '../output';
import { outputFormat, type EventsOptions } from './events-query';

export const run: CommandRun<EventsOptions & { html?: string }> = async (ctx, opts) => {
  const format = outputFormat(ctx, opts.format);
  // A page that cannot be written is found before the files are read (they may take minutes).
  if (opts.html !== undefined) {
    const dir = path.dirname(path.resolve(ctx.cwd, opts.html));
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw new UsageError(`--html: cannot write ${opts.html}: ${fs.existsSync(dir) ? 'its directory is not writable' : `no directory ${dir}`}; give a path in a writable directory`);
    }
  }
  try {
    const { results, input, notes } = await runOffline(REPORT_IDS, opts.from, { cwd: ctx.cwd, io: ctx.io, env: ctx.env, noCache: opts.cache === false });
    for (const note of notes) ctx.problem(problem('warning', note));
    if (opts.html !== undefined) {
      const { renderHtmlReport } = require('../../events/html') as typeof import('../../events/html');
      const file = path.resolve(ctx.cwd, opts.html);
      try {
        fs.writeFileSync(file, renderHtmlReport(results, input));
      } catch (err) {
        throw new OperationError(`--html: cannot write ${opts.html} (${(err as Error).message}); give a path in a writable directory`);
      }
      ctx.io.err(`wrote the HTML report to ${opts.html}`);
    }
    const data = { reports: results.map((r) => ({ report: r.id, title: r.title, columns: r.columns.map((c) => c.name), rows: r.rows })), input, html: opts.html ?? null };
    // --json: the envelope with this as its data; --format json alone: this data, plain.
    ctx.emit(data, () => {
      if (format === 'json') return [JSON.stringify(data, null, 2)];
      // One CSV per report, each after a `# report-id` line; `events query --format csv` gives a single plain CSV.
      if (format === 'csv') return results.flatMap((r, i) => [...(i > 0 ? [''] : []), `# ${r.id}: ${r.title}`, ...renderCsv(r)]);
      if (opts.html !== undefined) return [];
      return results.flatMap((r, i) => [...(i > 0 ? [''] : []), `== ${r.title} (${r.id})`, ...renderTable(r)]);
    });
    return 0;
  } catch (err) {
    if (err instanceof OfflineError) throw err.usage ? new UsageError(err.message) : new OperationError(err.message);
    throw err;
  }
};
