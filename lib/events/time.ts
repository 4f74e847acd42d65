/**
 * When an event happened, by the rules the SQL and the scanner share (lib/events/relation.ts):
 * the CEF `rt` extension (epoch ms, or `Mar 09 2024 17:05:21 GMT+09:00`), else the syslog
 * timestamp (RFC 5424 / ISO 8601, else BSD, which has no year or zone: UTC, in the reference's
 * year unless that puts it more than a day after the reference, then the year before).
 */
import { parseEventLine } from './parse';

/** The event's own time in a raw line, or null (also for lines that hold no event). */
export function eventTimeOf(line: string, now: Date = new Date()): Date | null {
  return parseEventLine(line, { now })?.eventTime ?? null;
}
