/**
 * The TypeScript reading of one raw event line: the same fields, by the same rules, as the SQL
 * renderings (lib/events/relation.ts), written as a scanner rather than with the SQL's regexes
 * so the tests' cross-check compares two independent readings.
 */
import { moduleOf, type EventModule } from './modules';

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
  /** Every extension/attribute pair, unescaped; the first of a repeated key wins. */
  readonly extension: Readonly<Record<string, string>>;
}

/** The header fields after the version, and what follows them. */
interface Header {
  readonly fields: string[];
  readonly rest: string;
}

/** Reads `count` `|`-ended fields where `\|` and `\\` are escapes; null if the header is short. */
function readHeader(text: string, count: number): Header | null {
  const fields: string[] = [];
  let raw = '';
  let i = 0;
  while (fields.length < count) {
    if (i >= text.length) return null;
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      raw += c + text[i + 1];
      i += 2;
    } else if (c === '|') {
      fields.push(raw);
      raw = '';
      i += 1;
    } else {
      raw += c;
      i += 1;
    }
  }
  return { fields, rest: text.slice(i) };
}

/** Undoes backslash escapes of the characters in `escaped`; other backslashes stay. */
function unescape(text: string, escaped: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length && escaped.includes(text[i + 1])) {
      out += text[i + 1];
      i += 1;
    } else out += text[i];
  }
  return out;
}

/** The event ends at the first line break, as `.` does in the SQL engines. */
const untilLineBreak = (s: string) => {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
};
const emptyToNull = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);
const stripSpaces = (s: string) => s.replace(/^ +/, '').replace(/ +$/, '');
const toInteger = (s: string | null): number | null => (s !== null && /^-?\d{1,18}$/.test(s) ? Number(s) : null);

function addPair(pairs: Record<string, string>, segment: string) {
  const eq = segment.indexOf('=');
  if (eq <= 0) return;
  const key = segment.slice(0, eq);
  if (key in pairs) return;
  pairs[key] = unescape(stripSpaces(segment.slice(eq + 1)), '\\=|');
}

/** CEF extension: a value runs until spaces followed by `key=` (an `=` in a value is escaped). */
function cefPairs(extension: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  const keyStart = / +([A-Za-z0-9_]+)=/g;
  let segmentStart = 0;
  for (let m = keyStart.exec(extension); m !== null; m = keyStart.exec(extension)) {
    addPair(pairs, extension.slice(segmentStart, m.index));
    segmentStart = m.index + m[0].length - m[1].length - 1;
  }
  addPair(pairs, extension.slice(segmentStart));
  return pairs;
}

/** LEEF 2.0's delimiter field: one character or its hex code; empty or absent means tab. */
function leefDelimiter(field: string | undefined): string {
  if (field === undefined || field === '') return '\t';
  if (field.length === 1) return field;
  return String.fromCharCode(parseInt(/([0-9A-Fa-f]{1,4})$/.exec(field)![1], 16));
}

function leefPairs(attributes: string, delimiter: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const segment of attributes.split(delimiter)) addPair(pairs, segment);
  return pairs;
}

const SYSLOG_HOST = /^[^|]*?([^ \t|>]+)[ \t]+(?:CEF: ?\d|LEEF: ?[12]\.0)/;
const NOT_A_HOST = /^(?:-|\d\d:\d\d:\d\d.*|\d{4}-\d\d-\d\dT.*)$/;

interface Framed {
  readonly format: 'CEF' | 'LEEF';
  readonly version: string;
  readonly vendor: string;
  readonly product: string;
  readonly deviceVersion: string;
  readonly signature: string;
  readonly cefName: string | null;
  readonly cefSeverity: string | null;
  readonly pairs: Record<string, string>;
}

function frame(line: string): Framed | null {
  const cef = /^[^|]*?CEF: ?(\d+)\|/.exec(line);
  if (cef) {
    const header = readHeader(line.slice(cef[0].length), 6);
    if (header) {
      const [vendor, product, deviceVersion, signature, name, severity] = header.fields.map((f) => unescape(f, '\\|'));
      return {
        format: 'CEF',
        version: cef[1],
        vendor,
        product,
        deviceVersion,
        signature,
        cefName: emptyToNull(name),
        cefSeverity: emptyToNull(severity),
        pairs: cefPairs(untilLineBreak(header.rest)),
      };
    }
  }
  const leef = /^[^|]*?LEEF: ?([12]\.0)\|/.exec(line);
  if (leef) {
    const header = readHeader(line.slice(leef[0].length), 4);
    if (header) {
      const [vendor, product, deviceVersion, signature] = header.fields.map((f) => unescape(f, '\\|'));
      let attributes = untilLineBreak(header.rest);
      let delimiterField: string | undefined;
      if (leef[1] === '2.0') {
        const d = /^([^|=]?|0?[xX][0-9A-Fa-f]{1,4})\|/.exec(attributes);
        if (d) {
          delimiterField = d[1];
          attributes = attributes.slice(d[0].length);
        }
      }
      return {
        format: 'LEEF',
        version: leef[1],
        vendor,
        product,
        deviceVersion,
        signature,
        cefName: null,
        cefSeverity: null,
        pairs: leefPairs(attributes, leefDelimiter(delimiterField)),
      };
    }
  }
  return null;
}

/** The event in a raw syslog line, or null when the line holds no CEF or LEEF event. */
export function parseEventLine(line: string): ParsedEvent | null {
  const framed = frame(line);
  if (!framed) return null;
  const pairs = framed.pairs;
  const get = (...keys: string[]) => {
    for (const key of keys) {
      const value = emptyToNull(pairs[key]);
      if (value !== null) return value;
    }
    return null;
  };
  const product = emptyToNull(framed.product);
  const signatureId = toInteger(emptyToNull(framed.signature));
  const name = framed.cefName ?? get('name');
  const token = SYSLOG_HOST.exec(line)?.[1] ?? null;
  const syslogHost = token !== null && !NOT_A_HOST.test(token) ? token : null;
  const hostIdText = get('cn1');
  const dvchost = get('dvchost');
  const dvc = get('dvc');
  return {
    format: framed.format,
    formatVersion: framed.version,
    vendor: emptyToNull(framed.vendor),
    product,
    deviceVersion: emptyToNull(framed.deviceVersion),
    signatureId,
    name,
    severity: toInteger(framed.cefSeverity ?? get('sev')),
    module: moduleOf(signatureId, product),
    src: get('src'),
    dst: get('dst'),
    spt: toInteger(get('spt', 'srcPort')),
    dpt: toInteger(get('dpt', 'dstPort')),
    protocol: get('proto'),
    act: get('act'),
    hostId: toInteger(hostIdText),
    dvchost,
    dvc,
    syslogHost,
    host: dvchost ?? dvc ?? syslogHost ?? (hostIdText !== null ? `host-id:${hostIdText}` : null),
    reason: name,
    extension: pairs,
  };
}
