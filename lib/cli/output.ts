/**
 * `--json`: one shape for every command, success or failure (docs/cli.md, "JSON output"):
 *
 *   { "ok": true, "command": "verify", "exitCode": 0, "data": {...}, "problems": [] }
 *
 * - `ok` is `exitCode === 0`; `command` is the command path (`policy ensure`, `events query`),
 *   or "" when no command was recognised;
 * - `data` is the command's own result (its keys documented with the command), `null` when the
 *   command stopped before it had one (bad usage, bad config, a failed call);
 * - `problems` lists what went wrong and what is worth knowing, each
 *   `{ severity: "error"|"warning", key, message, fix }`; `key` is the config key or flag it is
 *   about (`events.syslogConfigId`, `--wait`) and `fix` what to do, `null` when there is none.
 * Keys are always present: a value that is not known is `null`, never a missing key. Times are ISO
 * 8601 strings in UTC. Printed once, on stdout, as the last thing a command writes there; progress
 * and notices stay on stderr.
 */
import { printableJson } from '../manager/redact';

export type Severity = 'error' | 'warning';

export interface Problem {
  readonly severity: Severity;
  /** The config key or flag the problem is about, or null. */
  readonly key: string | null;
  readonly message: string;
  /** What to do about it, or null. */
  readonly fix: string | null;
}

export interface Envelope {
  readonly ok: boolean;
  readonly command: string;
  readonly exitCode: number;
  readonly data: unknown;
  readonly problems: readonly Problem[];
}

/** A problem from its parts; absent key/fix become null. */
export function problem(severity: Severity, message: string, opts: { key?: string | null; fix?: string | null } = {}): Problem {
  return { severity, key: opts.key ?? null, message, fix: opts.fix ?? null };
}

/**
 * `file: a.b[0].c: got ...` → `a.b[0].c`: the key of a config error line (lib/config formats them
 * as `<file>: <key path>: <what>`). Null when the line names no key (e.g. an unreadable file).
 */
export function configKeyOf(line: string, file: string): string | null {
  if (!line.startsWith(`${file}: `)) return null;
  const m = /^([A-Za-z_$][\w$]*(?:\[\d+\]|\.[A-Za-z_$][\w$]*)*): /.exec(line.slice(file.length + 2));
  return m ? m[1] : null;
}

/**
 * The JSON form of a value: `undefined` becomes `null` (in objects and arrays alike), Dates ISO
 * strings, Maps and Sets plain objects and arrays, so `JSON.stringify` drops no key.
 */
export function jsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value instanceof Set) return [...value].map(jsonValue);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonValue(v)]));
  if (typeof value === 'object') {
    const maybe = value as { toJSON?: () => unknown };
    if (typeof maybe.toJSON === 'function') return jsonValue(maybe.toJSON());
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** An epoch-milliseconds time as ISO 8601, null when absent. */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === undefined || ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

export function envelope(command: string, exitCode: number, data: unknown, problems: readonly Problem[]): Envelope {
  return { ok: exitCode === 0, command, exitCode, data: jsonValue(data), problems: problems.map((p) => jsonValue(p) as Problem) };
}

/** The envelope as printed: indented JSON with the characters a terminal acts on escaped. */
export function formatEnvelope(e: Envelope): string {
  return printableJson(JSON.stringify(e, null, 2));
}

/**
 * Whether `--json` is among the global flags of argv (before the command's own `--`), for errors
 * raised before commander has parsed it (an unknown option, a missing required one).
 */
export function jsonRequested(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--json') return true;
  }
  return false;
}
