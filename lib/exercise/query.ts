/**
 * The one query `dskit exercise` sends to the sink: event counts of the sandbox's computers since
 * a moment, over lib/events' parsed events relation (`eventsSql`), so the module (from the
 * signature id) and the host are read exactly as every report reads them. The same text renders
 * for Athena, BigQuery and DuckDB (offline checks); only the source relation differs.
 */
import { eventsSql, type EventModule, type SqlDialect } from '../events';
import { dialectOf } from '../events/dialects';

/** Who the events may be about: the manager's computer ids (CEF cn1) and host names. */
export interface EventWindow {
  /** The run, named in the query's header comment (shows in the sink's query history). */
  readonly run: string;
  /** Events at or after this time count. */
  readonly since: Date;
  readonly modules: readonly EventModule[];
  readonly hostIds: readonly number[];
  readonly hostNames: readonly string[];
}

/** One output row: how many events of one kind one host has sent since `since`. */
export interface EventCount {
  readonly hostId: number | null;
  readonly host: string | null;
  readonly module: string;
  readonly signatureId: number | null;
  readonly act: string | null;
  readonly dpt: number | null;
  readonly events: number;
}

/** The output columns, in order (the adapters read rows by these names). */
export const COUNT_COLUMNS = ['host_id', 'host', 'module', 'signature_id', 'act', 'dpt', 'events'] as const;

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;

/** A time as a timestamp literal every dialect reads as UTC: `TIMESTAMP '2026-01-02 03:04:05'`. */
function timestampLiteral(t: Date): string {
  return `TIMESTAMP '${t.toISOString().slice(0, 19).replace('T', ' ')}'`;
}

/** The query's first line: `-- dskit exercise <run>: ...`. */
export const QUERY_HEADER = '-- dskit exercise';

export function eventCountSql(dialect: SqlDialect, source: string, w: EventWindow): string {
  const d = dialectOf(dialect);
  if (!/^[a-z0-9-]{1,64}$/.test(w.run)) throw new RangeError(`exercise run id: got ${JSON.stringify(w.run)}; allowed: [a-z0-9-]{1,64}`);
  if (w.modules.length === 0) throw new RangeError('exercise query: no modules to look for');
  for (const id of w.hostIds) if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`exercise query: host id ${id} is not a computer id`);
  for (const name of w.hostNames) if (!HOST_NAME.test(name)) throw new RangeError(`exercise query: host name ${JSON.stringify(name)} is not a host name`);
  const hosts = [
    ...(w.hostIds.length ? [`host_id IN (${[...new Set(w.hostIds)].join(', ')})`] : []),
    ...(w.hostNames.length ? [`host IN (${[...new Set(w.hostNames)].map((n) => d.text(n)).join(', ')})`] : []),
  ];
  if (hosts.length === 0) throw new RangeError('exercise query: no host ids or names to look for');
  return [
    `${QUERY_HEADER} ${w.run}: event counts of ${w.hostIds.length} computer ids and ${w.hostNames.length} host names since ${w.since.toISOString()}`,
    `SELECT ${COUNT_COLUMNS.slice(0, -1).join(', ')}, COUNT(*) AS events`,
    'FROM (',
    eventsSql(dialect, source),
    ') AS dskit_parsed',
    `WHERE event_time >= ${timestampLiteral(w.since)}`,
    `  AND module IN (${[...new Set(w.modules)].map((m) => d.text(m)).join(', ')})`,
    `  AND (${hosts.join(' OR ')})`,
    `GROUP BY ${COUNT_COLUMNS.slice(0, -1).join(', ')}`,
  ].join('\n');
}

const toInt = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isSafeInteger(n) ? n : null;
};
const toText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A result row (values as the sink returns them: strings, numbers or null) → an EventCount. */
export function eventCountOf(row: Readonly<Record<string, unknown>>): EventCount {
  return {
    hostId: toInt(row.host_id),
    host: toText(row.host),
    module: String(row.module ?? ''),
    signatureId: toInt(row.signature_id),
    act: toText(row.act),
    dpt: toInt(row.dpt),
    events: toInt(row.events) ?? 0,
  };
}
