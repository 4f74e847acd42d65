/** Plain-text tables for the offline reports: left-aligned text, right-aligned numbers. */
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
