/**
 * The scanner reads every line exactly as the SQL the clouds run (its DuckDB rendering): every
 * column of every sample, edge case and generated odd line, side by side.
 */
import { EVENT_COLUMNS, eventsSql } from '../../lib/events';
import { LINES_TABLE, OfflineEvents, formatTime, type Cell } from '../../lib/events/offline';
import { parseEventLine } from '../../lib/events/parse';
import { oddLines } from './corpus';
import { EDGE_CASES, NOISE, SAMPLES } from './samples';

/** The scanner's reading of a line, named as the SQL's columns, with the same fallback time. */
function scannedRow(line: string, fallback: Date): Record<string, Cell> | null {
  const e = parseEventLine(line, { fallback });
  if (!e) return null;
  const hour = e.eventTime ? new Date(Math.floor(e.eventTime.getTime() / 3_600_000) * 3_600_000) : null;
  return {
    event_time: e.eventTime ? formatTime(e.eventTime) : null,
    event_hour: hour ? formatTime(hour) : null,
    format: e.format,
    format_version: e.formatVersion,
    vendor: e.vendor,
    product: e.product,
    device_version: e.deviceVersion,
    signature_id: e.signatureId,
    name: e.name,
    severity: e.severity,
    module: e.module,
    src: e.src,
    dst: e.dst,
    spt: e.spt,
    dpt: e.dpt,
    protocol: e.protocol,
    act: e.act,
    host_id: e.hostId,
    dvchost: e.dvchost,
    dvc: e.dvc,
    syslog_host: e.syslogHost,
    host: e.host,
    reason: e.reason,
    service: e.service,
    user_name: e.userName,
  };
}

/** Each line with a distinct fallback time (its index in seconds), so rows map back to lines. */
async function sqlRows(lines: readonly string[], base: number): Promise<Array<Record<string, Cell> | null>> {
  const db = await OfflineEvents.open();
  try {
    // The line's index rides in a column so each SQL row maps back to its line.
    await db.addLines(lines.map((line, i) => ({ line, eventTime: new Date(base + i * 1000) })));
    const found = await db.query(
      `WITH dskit_indexed AS (SELECT line, event_time, row_number() OVER () - 1 AS i FROM ${LINES_TABLE})
       SELECT i, p.* FROM dskit_indexed, LATERAL (${eventsSql('duckdb', '(SELECT line, event_time FROM dskit_indexed x WHERE x.i = dskit_indexed.i)')}) p`,
    ).catch(async () => {
      // Fallback: parse line by line (slower, but independent of LATERAL support).
      const rows: Array<Record<string, Cell>> = [];
      for (const [i, line] of lines.entries()) {
        const esc = line.replace(/'/g, "''");
        const r = await db.query(`SELECT ${i} AS i, * FROM (${eventsSql('duckdb', `(SELECT '${esc}' AS line, TIMESTAMP '${new Date(base + i * 1000).toISOString().replace('T', ' ').replace('Z', '')}' AS event_time)`)})`);
        rows.push(...r);
      }
      return rows;
    });
    const byIndex = new Map(found.map(({ i, ...row }) => [Number(i), row]));
    return lines.map((_, i) => byIndex.get(i) ?? null);
  } finally {
    db.close();
  }
}

function compare(lines: readonly string[], sql: Array<Record<string, Cell> | null>, base: number) {
  const differences: string[] = [];
  lines.forEach((line, i) => {
    const scanned = scannedRow(line, new Date(base + i * 1000));
    const bySql = sql[i];
    if (JSON.stringify(scanned) !== JSON.stringify(bySql)) {
      const columns = scanned && bySql ? EVENT_COLUMNS.filter((c) => JSON.stringify(scanned[c]) !== JSON.stringify(bySql[c])) : ['(row)'];
      differences.push(`${JSON.stringify(line)}: ${columns.map((c) => `${c} scanner=${JSON.stringify(scanned?.[c])} sql=${JSON.stringify(bySql?.[c])}`).join('; ')}`);
    }
  });
  return differences;
}

describe('the scanner reads lines exactly as the SQL does', () => {
  const base = Date.UTC(2024, 10, 28, 0, 0, 0);

  it('on the samples, the edge cases and the noise', async () => {
    const lines = [...SAMPLES.map((s) => s.line), ...EDGE_CASES, ...NOISE];
    const sql = await sqlRows(lines, base);
    expect(sql.filter((r) => r !== null)).toHaveLength(SAMPLES.length + EDGE_CASES.length - 1);
    expect(compare(lines, sql, base)).toEqual([]);
  });

  it('on 3000 generated odd lines', async () => {
    const lines = oddLines(3000, 7);
    const sql = await sqlRows(lines, base);
    // The corpus must exercise both outcomes and many shapes, or the check proves little.
    expect(sql.filter((r) => r !== null).length).toBeGreaterThan(1500);
    expect(new Set(sql.map((r) => r?.module)).size).toBeGreaterThan(5);
    expect(compare(lines, sql, base)).toEqual([]);
  }, 120_000);
});
