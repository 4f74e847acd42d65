/** The offline reports as text: plain tables (left-aligned text, right-aligned numbers) and CSV. */
import type { Cell, ReportResult } from './offline';

const show = (cell: Cell) => (cell === null ? '-' : String(cell));

export function renderTable(result: ReportResult): string[] {
  if (result.rows.length === 0) return ['(no events)'];
  const names = result.columns.map((c) => c.name);
  const widths = names.map((name) => Math.max(name.length, ...result.rows.map((r) => show(r[name]).length)));
  const numeric = result.columns.map((c) => c.type === 'integer');
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(names), line(widths.map((w) => '-'.repeat(w))), ...result.rows.map((r) => line(names.map((n) => show(r[n]))))];
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; NULL is empty. */
function csvField(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as CSV lines: a header, then one line per row. */
export function renderCsv(result: ReportResult): string[] {
  const names = result.columns.map((c) => c.name);
  return [names.join(','), ...result.rows.map((r) => names.map((n) => csvField(r[n])).join(','))];
}
