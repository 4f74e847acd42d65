/**
 * One line of an exported file → the raw event line and its time. Besides raw syslog lines,
 * accepts the JSON lines the clouds export (Cloud Logging / BigQuery: `textPayload` or
 * `jsonPayload.message` with `timestamp`; CloudWatch Logs: `message` with `timestamp` in ms).
 */
import { eventTimeOf } from './time';

export interface ExportedLine {
  readonly line: string;
  readonly eventTime: Date | null;
}

function jsonLine(text: string): ExportedLine | null {
  let record: any;
  try {
    record = JSON.parse(text);
  } catch {
    return null;
  }
  if (record === null || typeof record !== 'object') return null;
  const message = [record.textPayload, record.jsonPayload?.message, record.message, record.line].find((m) => typeof m === 'string');
  if (message === undefined) return null;
  const stamp = record.timestamp ?? record.event_time ?? record.receiveTimestamp;
  const fromRecord = typeof stamp === 'number' || typeof stamp === 'string' ? new Date(stamp) : null;
  const eventTime = fromRecord && !Number.isNaN(fromRecord.getTime()) ? fromRecord : eventTimeOf(message);
  return { line: message.replace(/\r?\n$/, ''), eventTime };
}

export function exportedLine(text: string, now: Date = new Date()): ExportedLine {
  if (text.startsWith('{')) {
    const parsed = jsonLine(text);
    if (parsed) return parsed;
  }
  return { line: text, eventTime: eventTimeOf(text, now) };
}
