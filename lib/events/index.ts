/**
 * Event reports (SPEC §1.6, §5). PLACEHOLDER interface: the events work replaces the
 * implementation; the signature is what the AWS (Athena) and GCP (BigQuery) stacks build on.
 *
 * One definition per report renders to each SQL dialect. The source relation must have the
 * columns `line` (the raw syslog line holding a CEF or LEEF event) and `event_time` (TIMESTAMP).
 */
export type SqlDialect = 'athena' | 'bigquery' | 'duckdb';

export type ReportId = 'top-source-ips' | 'top-destination-ports' | 'firewall-denies' | 'ips-rules-hit' | 'events-per-host-hour';

export interface Report {
  readonly id: ReportId;
  /** A name safe for Athena named queries and BigQuery view ids once `-` becomes `_`. */
  readonly title: string;
  readonly description: string;
}

export const REPORTS: readonly Report[] = [
  { id: 'top-source-ips', title: 'Top source IPs', description: 'Source addresses with the most events' },
  { id: 'top-destination-ports', title: 'Top destination ports', description: 'Destination ports with the most events' },
  { id: 'firewall-denies', title: 'Firewall denies by reason', description: 'Firewall events by action and reason' },
  { id: 'ips-rules-hit', title: 'IPS rules hit', description: 'Intrusion prevention rules by hit count' },
  { id: 'events-per-host-hour', title: 'Events per host per hour', description: 'Event counts per host and hour' },
];

/** The SQL of one report in one dialect, reading from `source` (a table name or a parenthesized subquery). */
export function reportSql(id: ReportId, dialect: SqlDialect, source: string): string {
  return `-- PLACEHOLDER ${id} (${dialect})\nSELECT line FROM ${source}`;
}
