/** `dskit events report --from FILES [--html FILE] [--format table|csv|json]`: every report, offline. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPORT_IDS } from '../../events';
import { OfflineError, runOffline } from '../../events/offline-command';
import { renderCsv, renderTable } from '../../events/table';
import { OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';
import { outputFormat, type EventsOptions } from './events-query';

export const run: CommandRun<EventsOptions & { html?: string }> = async (ctx, opts) => {
  const format = outputFormat(ctx, opts.format);
  try {
    const { results, input } = await runOffline(REPORT_IDS, opts.from, { cwd: ctx.cwd, io: ctx.io, env: ctx.env, noCache: opts.cache === false });
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
    if (format === 'json') {
      ctx.io.out(JSON.stringify({ reports: results.map((r) => ({ report: r.id, title: r.title, columns: r.columns.map((c) => c.name), rows: r.rows })), input }, null, 2));
    } else if (format === 'csv') {
      // One CSV per report, each after a `# report-id` line; `events query --format csv` gives a single plain CSV.
      results.forEach((r, i) => {
        if (i > 0) ctx.io.out('');
        ctx.io.out(`# ${r.id}: ${r.title}`);
        for (const line of renderCsv(r)) ctx.io.out(line);
      });
    } else if (opts.html === undefined) {
      results.forEach((r, i) => {
        if (i > 0) ctx.io.out('');
        for (const line of [`== ${r.title} (${r.id})`, ...renderTable(r)]) ctx.io.out(line);
      });
    }
    return 0;
  } catch (err) {
    if (err instanceof OfflineError) throw err.usage ? new UsageError(err.message) : new OperationError(err.message);
    throw err;
  }
};
