/**
 * Event reports (SPEC §1.6, §5), shared by the AWS stack (Athena named queries), the GCP stack
 * (BigQuery views) and the offline `dskit events` commands (DuckDB over scanned columns).
 *
 * One definition per report renders to each SQL dialect. The source relation must have the
 * columns `line` (the raw syslog line holding a CEF or LEEF event) and `event_time` (TIMESTAMP:
 * when the cloud received it; the reports use the event's own time from the line and fall back
 * to this). Lines that hold no CEF/LEEF event are ignored.
 */
import { dialectOf, type SqlDialect } from './dialects';
import { eventsSelect } from './relation';
import { renderReport, renderReportOverEvents, reportById, type ReportId } from './reports';

export { SQL_DIALECTS, type SqlDialect } from './dialects';
export { EVENT_COLUMNS, type EventColumn } from './relation';
export { EVENT_MODULES, MODULE_RANGES, moduleOf, type EventModule } from './modules';
export { ALL_REPORTS, REPORTS, REPORT_IDS, isReportId, reportById, type Report, type ReportColumn, type ReportId, type ColumnType } from './reports';

/** The SQL of one report in one dialect, reading from `source` (a table name or a parenthesized subquery). */
export function reportSql(id: ReportId, dialect: SqlDialect, source: string): string {
  return renderReport(reportById(id), dialectOf(dialect), source);
}

/** Every parsed event of `source` (columns EVENT_COLUMNS), for ad-hoc queries and checks. */
export function eventsSql(dialect: SqlDialect, source: string): string {
  return eventsSelect(dialectOf(dialect), source);
}

/**
 * One report over `events`, a table or view that already holds the parsed events (e.g. one made
 * from `eventsSql`), so several reports share one parse. The report SQL is dialect-neutral.
 */
export function reportSqlOverEvents(id: ReportId, events: string): string {
  return renderReportOverEvents(reportById(id), events);
}
