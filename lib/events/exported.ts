/**
 * One line of an exported file → the raw event line and its time. Besides raw syslog lines,
 * accepts the JSON lines the clouds export (Cloud Logging / BigQuery: `textPayload` or
 * `jsonPayload.message` with `timestamp`; CloudWatch Logs: `message` with `timestamp` in ms).
 * The event's own time wins; the record's time is the fallback, as in the clouds' SQL.
 */
import { parseEventLine } from './parse';

export interface ExportedLine {
  readonly line: string;
  readonly eventTime: Date | null;
}

/** The event line and the record's own time of one exported JSON record, or null when it is not one. */
export function recordLine(record: unknown): { line: string; recordTime: Date | null } | null {
  if (record === null || typeof record !== 'object') return null;
  const r = record as Record<string, any>;
  const message = [r.textPayload, r.jsonPayload?.message, r.message, r.line].find((m) => typeof m === 'string');
  if (message === undefined) return null;
  const stamp = r.timestamp ?? r.event_time ?? r.receiveTimestamp;
  const t = typeof stamp === 'number' || typeof stamp === 'string' ? new Date(stamp) : null;
  return { line: message.replace(/\r?\n$/, ''), recordTime: t && !Number.isNaN(t.getTime()) ? t : null };
}

export function exportedLine(text: string, now: Date = new Date()): ExportedLine {
  if (text.startsWith('{')) {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      record = undefined;
    }
    const found = recordLine(record);
    if (found) {
      const parsed = parseEventLine(found.line, { fallback: found.recordTime, now });
      return { line: found.line, eventTime: parsed ? parsed.eventTime : found.recordTime };
    }
  }
  return { line: text, eventTime: parseEventLine(text, { now })?.eventTime ?? null };
}
