/**
 * The report definitions (SPEC §1.6): each written once over the parsed events relation and
 * rendered per dialect by `renderReport`.
 */
import type { Dialect } from './dialects';
import { EVENTS_CTE, eventsCtes } from './relation';

export type ReportId =
  | 'top-source-ips'
  | 'top-destination-ports'
  | 'firewall-denies'
  | 'ips-rules-hit'
  | 'events-per-host-hour'
  | 'events-per-module-hour'
  | 'users-tried'
  | 'source-countries';

export type ColumnType = 'text' | 'integer' | 'timestamp';

export interface ReportColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** The expression over the parsed events (aggregates allowed). */
  readonly sql: string;
}

export interface Report {
  readonly id: ReportId;
  /** A name safe for Athena named queries and BigQuery view ids once `-` becomes `_`. */
  readonly title: string;
  readonly description: string;
  /** The output columns, in order: the same in every dialect. */
  readonly columns: readonly ReportColumn[];
  readonly where?: string;
  /** Grouping columns of the parsed events relation. */
  readonly groupBy: readonly string[];
  /**
   * Output column names, each optionally followed by DESC: a total order (every grouping column
   * decides ties), so every engine returns the same rows in the same order.
   */
  readonly orderBy: readonly string[];
  readonly limit?: number;
  /**
   * Set when only the offline reports can run it, saying why (the clouds have no IP-to-country
   * lookup, for instance); such a report is neither a named query nor a view.
   */
  readonly offlineOnly?: string;
}

const TOP = 50;
const events: ReportColumn = { name: 'events', type: 'integer', sql: 'COUNT(*)' };
const hosts: ReportColumn = { name: 'hosts', type: 'integer', sql: 'COUNT(DISTINCT host)' };
const sources: ReportColumn = { name: 'sources', type: 'integer', sql: 'COUNT(DISTINCT src)' };
const firstSeen: ReportColumn = { name: 'first_seen', type: 'timestamp', sql: 'MIN(event_time)' };
const lastSeen: ReportColumn = { name: 'last_seen', type: 'timestamp', sql: 'MAX(event_time)' };

/** Every report: the offline commands run them all. */
export const ALL_REPORTS: readonly Report[] = [
  {
    id: 'top-source-ips',
    title: 'Top source IPs',
    description: 'Source addresses with the most events, across every module',
    columns: [{ name: 'source_ip', type: 'text', sql: 'src' }, events, hosts, firstSeen, lastSeen],
    where: 'src IS NOT NULL',
    groupBy: ['src'],
    orderBy: ['events DESC', 'source_ip'],
    limit: TOP,
  },
  {
    id: 'top-destination-ports',
    title: 'Top destination ports',
    description: 'Destination ports (with protocol) with the most events',
    columns: [
      { name: 'destination_port', type: 'integer', sql: 'dpt' },
      { name: 'protocol', type: 'text', sql: 'protocol' },
      // The service usually behind the port (MSSQL, SSH, RDP, ...): a function of the port.
      { name: 'service', type: 'text', sql: 'service' },
      events,
      sources,
    ],
    where: 'dpt IS NOT NULL',
    groupBy: ['dpt', 'protocol', 'service'],
    orderBy: ['events DESC', 'destination_port', 'protocol'],
    limit: TOP,
  },
  {
    id: 'firewall-denies',
    title: 'Firewall denies by reason',
    // DS names the firewall rule, or the stateful/packet check that dropped the packet
    // ("Out Of Connection", "Invalid Flags"), in the event name: that is the GUI's Reason column.
    description: 'Denied packets by reason (firewall rule or stateful check) and action',
    columns: [
      { name: 'reason', type: 'text', sql: 'reason' },
      { name: 'action', type: 'text', sql: 'act' },
      events,
      sources,
      hosts,
    ],
    // Detect-only policies log would-be denies as IDS:Deny; they count too.
    where: "module = 'firewall' AND UPPER(act) LIKE '%DENY%'",
    groupBy: ['reason', 'act'],
    orderBy: ['events DESC', 'reason', 'action'],
  },
  {
    id: 'ips-rules-hit',
    title: 'IPS rules hit',
    // The action tells detect (IDS:Reset, Log) from prevent (Reset, Drop): what rule rollout needs.
    description: 'Intrusion prevention rules by hit count and action',
    columns: [
      { name: 'rule_id', type: 'integer', sql: 'signature_id' },
      { name: 'rule_name', type: 'text', sql: 'name' },
      { name: 'action', type: 'text', sql: 'act' },
      events,
      hosts,
      lastSeen,
    ],
    where: "module = 'intrusion-prevention'",
    groupBy: ['signature_id', 'name', 'act'],
    orderBy: ['events DESC', 'rule_id', 'action', 'rule_name'],
  },
  {
    id: 'events-per-host-hour',
    title: 'Events per host per hour',
    description: 'Event counts per host and hour, every module',
    columns: [
      { name: 'host', type: 'text', sql: 'host' },
      { name: 'hour', type: 'timestamp', sql: 'event_hour' },
      events,
    ],
    groupBy: ['host', 'event_hour'],
    orderBy: ['host', 'hour'],
  },
  {
    id: 'events-per-module-hour',
    title: 'Events per module per hour',
    description: 'Event counts per module and hour: what the sandbox saw over time',
    columns: [
      { name: 'module', type: 'text', sql: 'module' },
      { name: 'hour', type: 'timestamp', sql: 'event_hour' },
      events,
    ],
    groupBy: ['module', 'event_hour'],
    orderBy: ['hour', 'module'],
  },
  {
    id: 'users-tried',
    title: 'User names tried',
    // Log inspection events (e.g. sshd and Windows logon failures) name the account in duser.
    description: 'Accounts named by log inspection events (failed logons): the user names attackers tried',
    columns: [{ name: 'user_name', type: 'text', sql: 'user_name' }, events, sources, hosts, firstSeen, lastSeen],
    where: "module = 'log-inspection' AND user_name IS NOT NULL AND user_name <> '(no user)'",
    groupBy: ['user_name'],
    orderBy: ['events DESC', 'user_name'],
    limit: TOP,
  },
  {
    id: 'source-countries',
    title: 'Source countries',
    description: 'Where the sources are, by country (offline GeoIP: ip-location-db geo-whois-asn-country)',
    columns: [{ name: 'country', type: 'text', sql: 'source_country' }, events, sources, hosts, firstSeen, lastSeen],
    where: 'src IS NOT NULL',
    groupBy: ['source_country'],
    orderBy: ['events DESC', 'country'],
    offlineOnly: 'BigQuery and Athena have no IP-to-country function; the offline reports use a GeoIP table an npm package ships',
  },
];

/** The reports every dialect renders: the Athena named queries and BigQuery views. */
export const REPORTS: readonly Report[] = ALL_REPORTS.filter((r) => r.offlineOnly === undefined);

export const REPORT_IDS: readonly ReportId[] = ALL_REPORTS.map((r) => r.id);

export function isReportId(value: string): value is ReportId {
  return (REPORT_IDS as readonly string[]).includes(value);
}

export function reportById(id: ReportId): Report {
  const report = ALL_REPORTS.find((r) => r.id === id);
  if (!report) throw new Error(`report: got ${JSON.stringify(id)}; allowed: ${REPORT_IDS.join(' | ')}`);
  return report;
}

/** The report's SELECT over `events`, a relation with the parsed event columns (EVENT_COLUMNS). */
function reportSelect(report: Report, events: string): string[] {
  // Trino does not group by output aliases, so grouping names columns of the events relation.
  const lines = ['SELECT', report.columns.map((c) => `  ${c.sql} AS ${c.name}`).join(',\n'), `FROM ${events}`];
  if (report.where) lines.push(`WHERE ${report.where}`);
  lines.push(`GROUP BY ${report.groupBy.join(', ')}`);
  return [...lines, ...orderAndLimit(report)];
}

/** The report's ORDER BY and LIMIT lines, over its output columns. */
function orderAndLimit(report: Report): string[] {
  // NULLS LAST everywhere: BigQuery puts NULLs first when ascending, Trino and DuckDB last.
  const lines = [`ORDER BY ${report.orderBy.map((o) => `${o} NULLS LAST`).join(', ')}`];
  if (report.limit !== undefined) lines.push(`LIMIT ${report.limit}`);
  return lines;
}

export function renderReport(report: Report, d: Dialect, source: string): string {
  if (report.offlineOnly !== undefined && d.name !== 'duckdb') throw new Error(`report ${report.id} runs offline only: ${report.offlineOnly}`);
  return [`-- dskit report ${report.id}: ${report.description}`, `WITH ${eventsCtes(d, source)}`, ...reportSelect(report, EVENTS_CTE)].join('\n');
}

/** What a report column computes, when it is one of the aggregates the top-first form splits. */
type Aggregate =
  | { readonly kind: 'group'; readonly column: string }
  | { readonly kind: 'count' }
  | { readonly kind: 'distinct'; readonly column: string }
  | { readonly kind: 'min' | 'max'; readonly column: string };

function aggregateOf(c: ReportColumn, groupBy: readonly string[]): Aggregate | null {
  if (groupBy.includes(c.sql)) return { kind: 'group', column: c.sql };
  if (c.sql === 'COUNT(*)') return { kind: 'count' };
  const distinct = /^COUNT\(DISTINCT ([a-z_]+)\)$/.exec(c.sql);
  if (distinct && !groupBy.includes(distinct[1])) return { kind: 'distinct', column: distinct[1] };
  const extreme = /^(MIN|MAX)\(([a-z_]+)\)$/.exec(c.sql);
  if (extreme) return { kind: extreme[1] === 'MIN' ? 'min' : 'max', column: extreme[2] };
  return null;
}

/**
 * The report's SELECT with its top groups found first, for reports with a LIMIT and
 * COUNT(DISTINCT ...) that their order does not name (top source IPs, top ports, user names):
 * the groups are counted (COUNT, MIN and MAX too) and ordered without the distinct counts, the
 * first LIMIT of them kept and numbered in that order; then only their events (a hash join on
 * the kept groups) are counted distinctly, per group number, and the two joined on it. The same
 * rows as the plain SELECT: every kept group has events, so it gets its distinct counts, and the
 * order is total over the groups (Report.orderBy promises it: each grouping column is ordered,
 * or a function of those that are, as a port's service is). DuckDB then hashes the top groups'
 * values only, keyed by one integer rather than every grouping column (top source IPs: 0.30 to
 * 0.11 CPU-s at 500 MB, top ports 0.33 in two phases to 0.22). Null when the report does not
 * qualify (an ORDER BY term more than a column and a direction included).
 */
function topFirstSelect(report: Report, events: string): string[] | null {
  const groups = report.groupBy;
  const found = report.columns.map((c) => aggregateOf(c, groups));
  if (report.limit === undefined || groups.length === 0 || !found.every((a): a is Aggregate => a !== null)) return null;
  const aggregates: readonly Aggregate[] = found;
  const distinct = [...new Set(aggregates.flatMap((a) => (a.kind === 'distinct' ? [a.column] : [])))];
  if (distinct.length === 0) return null;
  const topValue = (a: Aggregate, i: number): string | null => {
    if (a.kind === 'group') return `dskit_g${groups.indexOf(a.column)}`;
    if (a.kind === 'count') return 'dskit_events';
    if (a.kind === 'min' || a.kind === 'max') return `dskit_${i}`;
    return null;
  };
  const topOrder: string[] = [];
  for (const term of report.orderBy) {
    // An output column and a direction, nothing else (COLLATE, say, would need carrying over).
    const parsed = /^([a-z_]+)(?: (ASC|DESC))?$/.exec(term);
    if (parsed === null) return null;
    const [, name, direction] = parsed;
    const i = report.columns.findIndex((c) => c.name === name);
    const value = i < 0 ? null : topValue(aggregates[i], i);
    if (value === null) return null;
    topOrder.push(`${value}${direction ? ` ${direction}` : ''} NULLS LAST`);
  }
  const where = report.where ? ` WHERE ${report.where}` : '';
  const topColumns = [...groups.map((g, k) => `${g} AS dskit_g${k}`), 'COUNT(*) AS dskit_events'];
  aggregates.forEach((a, i) => {
    if (a.kind === 'min' || a.kind === 'max') topColumns.push(`${a.kind.toUpperCase()}(${a.column}) AS dskit_${i}`);
  });
  const counted = distinct.map((column, j) => `COUNT(DISTINCT ${column}) AS dskit_distinct_${j}`);
  const columns = report.columns.map((c, i) => {
    const a = aggregates[i];
    return `  ${a.kind === 'distinct' ? `dskit_distinct_${distinct.indexOf(a.column)}` : topValue(a, i)} AS ${c.name}`;
  });
  return [
    // The kept groups numbered by their order (a total one), so the numbers do not depend on the
    // CTE being evaluated once; materialized all the same, so it is.
    `WITH dskit_top AS MATERIALIZED (SELECT *, row_number() OVER (ORDER BY ${topOrder.join(', ')}) AS dskit_k FROM (SELECT ${topColumns.join(', ')} FROM ${events}${where} GROUP BY ${groups.join(', ')} ORDER BY ${topOrder.join(', ')} LIMIT ${report.limit})),`,
    `dskit_distinct AS (SELECT dskit_k, ${counted.join(', ')} FROM dskit_top JOIN (SELECT ${[...new Set([...groups, ...distinct])].join(', ')} FROM ${events}${where}) dskit_events_of_top ON ${groups.map((g, k) => `${g} IS NOT DISTINCT FROM dskit_g${k}`).join(' AND ')} GROUP BY dskit_k)`,
    'SELECT',
    columns.join(',\n'),
    'FROM dskit_top JOIN dskit_distinct USING (dskit_k)',
    ...orderAndLimit(report),
  ];
}

/**
 * The report over already parsed events (the offline reports: DuckDB over the scanned parts):
 * the same aggregation, with the top groups found first when the report qualifies
 * (topFirstSelect), unless `form` is 'plain'. (A two-phase form of COUNT(DISTINCT), grouped by
 * the distinct column first, is gone: on the reports left to it, DuckDB 1.5 ran firewall denies
 * and source countries about a fifth faster as the plain SELECT.)
 */
export function renderReportOverEvents(report: Report, events: string, form: 'fastest' | 'plain' = 'fastest'): string {
  const select = (form === 'fastest' ? topFirstSelect(report, events) : null) ?? reportSelect(report, events);
  return [`-- dskit report ${report.id}: ${report.description}`, ...select].join('\n');
}
