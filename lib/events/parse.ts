/**
 * One raw event line read by the scanner (lib/events/scan.ts) into a plain object: for callers
 * that look at a few lines (rule hit counting, tests). Bulk reading goes through the scanner's
 * batches instead.
 */
import { Dictionary } from './dictionary';
import type { EventModule } from './modules';
import { EventScanner, TEXT_COLUMNS, type EventBatch } from './scan';

export interface ParsedEvent {
  readonly format: 'CEF' | 'LEEF';
  readonly formatVersion: string;
  readonly vendor: string | null;
  readonly product: string | null;
  readonly deviceVersion: string | null;
  readonly signatureId: number | null;
  readonly name: string | null;
  readonly severity: number | null;
  readonly module: EventModule;
  readonly src: string | null;
  readonly dst: string | null;
  readonly spt: number | null;
  readonly dpt: number | null;
  readonly protocol: string | null;
  readonly act: string | null;
  /** `cn1`: the computer's id in the manager. */
  readonly hostId: number | null;
  readonly dvchost: string | null;
  readonly dvc: string | null;
  /** The host name in the syslog header before the event, if any. */
  readonly syslogHost: string | null;
  /** Who the event is about: dvchost, dvc, the syslog host, else `host-id:<cn1>`. */
  readonly host: string | null;
  /** Why: DS names the firewall rule or stateful check in the event name. */
  readonly reason: string | null;
  /** The service usually behind the destination port (lib/events/services.ts). */
  readonly service: string | null;
  /** The account the event names (duser, else suser / usrName). */
  readonly userName: string | null;
  /** The event's own time (rt, else the syslog timestamp), else the fallback given; null if neither. */
  readonly eventTime: Date | null;
  /** Every extension/attribute pair, unescaped; the first of a repeated key wins. */
  readonly extension: Readonly<Record<string, string>>;
}

export interface ParseOptions {
  /** The time the source gives the line (used when the line has none, and to date BSD timestamps). */
  readonly fallback?: Date | null;
  /** Dates BSD timestamps when there is no fallback. @default now */
  readonly now?: Date;
}

/** A scanned row as plain values, by column name: dictionary texts, numbers, and the time in ms (NaN = none). */
export function batchRow(batch: EventBatch, row: number, dictionary: Dictionary): Record<string, string | number | bigint | null> {
  const out: Record<string, string | number | bigint | null> = { event_ms: batch.eventMs[row] };
  for (const c of TEXT_COLUMNS) out[c] = dictionary.text(batch.text[c][row]);
  for (const [c, values] of Object.entries(batch.integer)) {
    const v = values[row];
    out[c] = Number.isNaN(v) ? (batch.exact.get(`${c}:${row}`) ?? null) : v;
  }
  return out;
}

let shared: { scanner: EventScanner; last: Record<string, string | number | bigint | null> | null } | null = null;

function scanner(): { scanner: EventScanner; last: Record<string, string | number | bigint | null> | null } {
  // A fresh dictionary now and then: one-off parses must not grow memory without bound.
  if (shared === null || shared.scanner.dictionary.count > 50_000) {
    const dictionary = new Dictionary();
    const state: { scanner: EventScanner; last: Record<string, string | number | bigint | null> | null } = { scanner: null as unknown as EventScanner, last: null };
    state.scanner = new EventScanner({ dictionary, batchRows: 1, onBatch: (batch) => (state.last = batchRow(batch, 0, dictionary)) });
    shared = state;
  }
  return shared;
}

const asNumber = (v: string | number | bigint | null): number | null => (v === null ? null : Number(v));

/** The event in a raw syslog line, or null when the line holds no CEF or LEEF event. */
export function parseEventLine(line: string, opts: ParseOptions = {}): ParsedEvent | null {
  const state = scanner();
  const bytes = Buffer.from(line, 'utf8');
  const pairs: Record<string, string> = {};
  state.scanner.allPairs = pairs;
  state.scanner.setChunk(bytes);
  state.last = null;
  const fallback = opts.fallback ? opts.fallback.getTime() : Number.NaN;
  const found = state.scanner.scanLine(0, bytes.length, fallback, (opts.now ?? new Date()).getTime());
  state.scanner.allPairs = null;
  const r = state.last as Record<string, string | number | bigint | null> | null;
  if (!found || r === null) return null;
  const ms = r.event_ms as number;
  return {
    format: r.format as 'CEF' | 'LEEF',
    formatVersion: r.format_version as string,
    vendor: r.vendor as string | null,
    product: r.product as string | null,
    deviceVersion: r.device_version as string | null,
    signatureId: asNumber(r.signature_id),
    name: r.name as string | null,
    severity: asNumber(r.severity),
    module: r.module as EventModule,
    src: r.src as string | null,
    dst: r.dst as string | null,
    spt: asNumber(r.spt),
    dpt: asNumber(r.dpt),
    protocol: r.protocol as string | null,
    act: r.act as string | null,
    hostId: asNumber(r.host_id),
    dvchost: r.dvchost as string | null,
    dvc: r.dvc as string | null,
    syslogHost: r.syslog_host as string | null,
    host: r.host as string | null,
    reason: r.name as string | null,
    service: r.service as string | null,
    userName: r.user_name as string | null,
    eventTime: Number.isNaN(ms) ? null : new Date(ms),
    extension: pairs,
  };
}
