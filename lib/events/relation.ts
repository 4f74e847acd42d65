/**
 * The parsed events relation every report reads: the raw lines of `source` taken apart into
 * CEF/LEEF header fields, the extension fields the reports need, the module, the host and the
 * event's own time. Written once; `Dialect` renders the few functions that differ.
 *
 * Shape, so that no regular expression runs twice on a line: each CTE computes what the next
 * one reads, and an expression never repeats a regex or string function on its input (DuckDB
 * and Trino evaluate a repeated subexpression again, e.g. both arms of a NULLIF). A line is
 * filtered once by `isEvent`; the event text is normalized (escaped `\\` and `\|` become
 * placeholders) so that plain `|` splits the header; CEF key starts are marked by one
 * regexp_replace; values are found with strpos and split, not one regex per key.
 *
 * Lines containing the control characters U+0001-U+0003 (never in DS output) are read with them
 * as separators and placeholders; the scanner (lib/events/scan.ts) reads them the same way.
 */
import type { Dialect } from './dialects';
import { MANAGER_PRODUCT_MARK, MODULE_RANGES } from './modules';
import { ESCAPED_BACKSLASH_CODE, ESCAPED_BAR_CODE, PAIR_SEPARATOR_CODE, PATTERNS } from './patterns';
import { SERVICES } from './services';

/** The columns of the parsed events relation, in order. */
export const EVENT_COLUMNS = [
  'event_time',
  'event_hour',
  'format',
  'format_version',
  'vendor',
  'product',
  'device_version',
  'signature_id',
  'name',
  'severity',
  'module',
  'src',
  'dst',
  'spt',
  'dpt',
  // Not `proto`: PROTO is a reserved keyword in GoogleSQL, so BigQuery refuses a view naming it unquoted.
  'protocol',
  'act',
  'host_id',
  'dvchost',
  'dvc',
  'syslog_host',
  'host',
  'reason',
  'service',
  'user_name',
] as const;
export type EventColumn = (typeof EVENT_COLUMNS)[number];

/**
 * Extension keys read from the pairs, with DS's LEEF name where it differs from CEF's
 * (LEEF spells ports srcPort/dstPort and the source user usrName; the rest are shared).
 * The first key that holds a value wins.
 */
export const EXTENSION_KEYS = {
  src: ['src'],
  dst: ['dst'],
  spt: ['spt', 'srcPort'],
  dpt: ['dpt', 'dstPort'],
  protocol: ['proto'],
  act: ['act'],
  host_id: ['cn1'],
  dvchost: ['dvchost'],
  dvc: ['dvc'],
  leef_name: ['name'],
  leef_severity: ['sev'],
  rt: ['rt'],
  // Log inspection events name the account in duser (Trend's syslog formats); others in suser.
  user_name: ['duser', 'suser', 'usrName'],
} as const;

/** Every key whose value is looked up, once each. */
export const LOOKED_UP_KEYS: readonly string[] = [...new Set(Object.values(EXTENSION_KEYS).flat())];

/** The name of the CTE holding the parsed events; a report selects from it. */
export const EVENTS_CTE = 'dskit_events';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MS_PER_DAY = 86_400_000;

/** A CTE: its name and its SELECT. */
interface Cte {
  readonly name: string;
  readonly select: string;
}

export function eventsCtes(d: Dialect, source: string): string {
  const sep = d.char(PAIR_SEPARATOR_CODE);
  const tab = d.char(9);
  const text = d.text;
  // A backslash as a character code, not a literal: tools that read '\' as an escape (node-sql-parser,
  // MySQL-minded editors) would misparse the standard SQL literal, which Trino, BigQuery and DuckDB accept.
  const backslash = d.char(92);
  const integer = (col: string) => `CASE WHEN ${d.matches(col, PATTERNS.integer)} THEN ${d.toBigint(col)} END`;
  const keyColumn = (key: string) => {
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw new Error(`event key ${JSON.stringify(key)}: only letters, digits and _ are allowed`);
    return `k_${key}`;
  };
  // Header fields hold placeholders for escaped \ and |; values may also escape =.
  const unescapeHeader = (col: string) => `REPLACE(REPLACE(${col}, ${d.char(ESCAPED_BACKSLASH_CODE)}, ${backslash}), ${d.char(ESCAPED_BAR_CODE)}, ${text('|')})`;
  const unescapeValue = (col: string) => unescapeHeader(`REPLACE(${col}, ${text('\\=')}, ${text('=')})`);
  const field = (keys: readonly string[]) => (keys.length === 1 ? keyColumn(keys[0]) : `COALESCE(${keys.map(keyColumn).join(', ')})`);
  const monthNumber = (col: string) => `CASE ${col} ${MONTHS.map((m, i) => `WHEN ${text(m)} THEN ${i + 1}`).join(' ')} END`;
  const num = (expr: string) => d.toBigint(expr);

  const moduleCase = [
    `CASE WHEN product LIKE ${text(`%${MANAGER_PRODUCT_MARK}%`)} THEN 'system'`,
    ...MODULE_RANGES.map(
      ({ module, ranges }) =>
        `WHEN ${ranges.map(([lo, hi]) => (lo === hi ? `signature_id = ${lo}` : `signature_id BETWEEN ${lo} AND ${hi}`)).join(' OR ')} THEN '${module}'`,
    ),
    `ELSE 'system' END`,
  ].join('\n      ');
  const serviceCase = `CASE dpt ${SERVICES.map(([port, name]) => `WHEN ${port} THEN ${text(name)}`).join(' ')} END`;

  const ctes: Cte[] = [
    { name: 'dskit_raw', select: `SELECT line AS raw_line, event_time AS source_time FROM ${source} AS dskit_source` },
    {
      // An event ends at the first line break (cheap strpos first; the regex only for lines that have one).
      name: 'dskit_cut',
      select: `SELECT source_time,
    CASE WHEN strpos(raw_line, ${d.char(10)}) > 0 OR strpos(raw_line, ${d.char(13)}) > 0 THEN ${d.extractMatched('raw_line', PATTERNS.firstLine)} ELSE raw_line END AS line
  FROM dskit_raw`,
    },
    {
      name: 'dskit_framed',
      select: `SELECT source_time, line, ${d.extractMatched('line', PATTERNS.prefix)} AS prefix
  FROM dskit_cut
  WHERE ${d.matches('line', PATTERNS.isEvent)}`,
    },
    {
      // Escaped \\ first, then \|: the same pairing as reading escapes left to right.
      name: 'dskit_event',
      select: `SELECT source_time, prefix,
    REPLACE(REPLACE(substr(line, length(prefix) + 1), ${text('\\\\')}, ${d.char(ESCAPED_BACKSLASH_CODE)}), ${text('\\|')}, ${d.char(ESCAPED_BAR_CODE)}) AS event
  FROM dskit_framed`,
    },
    {
      name: 'dskit_parts',
      select: `SELECT source_time, prefix, event, ${d.split('event', text('|'))} AS parts,
    CASE WHEN substr(event, 1, 1) = 'C' THEN 'CEF' ELSE 'LEEF' END AS format
  FROM dskit_event`,
    },
    {
      name: 'dskit_header',
      select: `SELECT source_time, prefix, event, format,
    ${[1, 2, 3, 4, 5, 6, 7].map((n) => `${d.element('parts', n)} AS f${n - 1}`).join(',\n    ')}
  FROM dskit_parts`,
    },
    {
      // CEF: seven fields then the extension. LEEF: five fields, then in 2.0 an optional delimiter field.
      name: 'dskit_body',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4,
    CASE format WHEN 'CEF' THEN f5 END AS cef_name_text,
    CASE format WHEN 'CEF' THEN f6 END AS cef_severity_text,
    CASE format
      WHEN 'CEF' THEN substr(event, length(f0) + length(f1) + length(f2) + length(f3) + length(f4) + length(f5) + length(f6) + 8)
      ELSE substr(event, length(f0) + length(f1) + length(f2) + length(f3) + length(f4) + 6) END AS body,
    CASE WHEN format = 'LEEF' AND f0 IN ('LEEF:2.0', 'LEEF: 2.0') AND f6 IS NOT NULL AND ${d.matches('f5', PATTERNS.leefDelimiterField)} THEN f5 END AS delimiter_field
  FROM dskit_header`,
    },
    {
      name: 'dskit_delimited',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text, body,
    CASE WHEN delimiter_field IS NULL THEN body ELSE substr(body, length(delimiter_field) + 2) END AS attributes,
    CASE WHEN delimiter_field IS NULL OR delimiter_field = '' THEN NULL
         WHEN length(delimiter_field) = 1 THEN delimiter_field END AS delimiter_char,
    CASE WHEN length(delimiter_field) > 1 THEN ${d.hexToInt(d.extract('delimiter_field', PATTERNS.hexDigits))} END AS delimiter_code
  FROM dskit_body`,
    },
    {
      // A delimiter that is a control character, the escape character or half a surrogate reads as tab.
      name: 'dskit_delimiter',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text, body, attributes,
    CASE WHEN delimiter_char IS NOT NULL AND delimiter_char <> ${backslash} AND (delimiter_char >= ' ' OR delimiter_char = ${tab}) THEN delimiter_char
         WHEN delimiter_code IS NOT NULL AND (delimiter_code >= 32 OR delimiter_code = 9) AND delimiter_code <> 92 AND NOT (delimiter_code BETWEEN 55296 AND 57343) THEN ${d.charOfCode('delimiter_code')}
         ELSE ${tab} END AS delimiter
  FROM dskit_delimited`,
    },
    {
      name: 'dskit_pairs',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text,
    ${sep} || CASE format
      WHEN 'CEF' THEN ${d.replaceAll('body', PATTERNS.cefKeyStart, [{ sql: sep }, 1, '='])}
      ELSE REPLACE(attributes, delimiter, ${sep}) END AS pairs
  FROM dskit_delimiter`,
    },
    {
      name: 'dskit_positions',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text, pairs,
    ${LOOKED_UP_KEYS.map((k) => `strpos(pairs, ${sep} || ${text(`${k}=`)}) AS p_${k}`).join(',\n    ')}
  FROM dskit_pairs`,
    },
    {
      name: 'dskit_raw_values',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text,
    ${LOOKED_UP_KEYS.map((k) => `CASE WHEN p_${k} > 0 THEN ${d.beforeFirst(`substr(pairs, p_${k} + ${k.length + 2})`, sep)} END AS r_${k}`).join(',\n    ')}
  FROM dskit_positions`,
    },
    {
      name: 'dskit_trimmed',
      select: `SELECT source_time, prefix, format, f0, f1, f2, f3, f4, cef_name_text, cef_severity_text,
    ${LOOKED_UP_KEYS.map((k) => `${d.trimSpaces(`r_${k}`)} AS t_${k}`).join(',\n    ')}
  FROM dskit_raw_values`,
    },
    {
      name: 'dskit_values',
      select: `SELECT source_time, prefix, format,
    REPLACE(substr(f0, strpos(f0, ':') + 1), ' ', '') AS format_version,
    ${unescapeHeader('f1')} AS vendor_text, ${unescapeHeader('f2')} AS product_text, ${unescapeHeader('f3')} AS version_text,
    ${unescapeHeader('f4')} AS signature_text, ${unescapeHeader('cef_name_text')} AS cef_name_unescaped,
    ${unescapeHeader('cef_severity_text')} AS cef_severity_unescaped,
    ${LOOKED_UP_KEYS.map((k) => `${unescapeValue(`t_${k}`)} AS u_${k}`).join(',\n    ')},
    ${d.extract('prefix', PATTERNS.stamp)} AS stamp,
    ${d.extractMatched('prefix', PATTERNS.hostAfterStamp)} AS stamp_host,
    ${d.extractMatched('prefix', PATTERNS.lastToken)} AS last_token
  FROM dskit_trimmed`,
    },
    {
      name: 'dskit_nonempty',
      select: `SELECT source_time, prefix, format, format_version, stamp,
    NULLIF(vendor_text, '') AS vendor, NULLIF(product_text, '') AS product, NULLIF(version_text, '') AS device_version,
    NULLIF(signature_text, '') AS signature_text, NULLIF(cef_name_unescaped, '') AS cef_name, NULLIF(cef_severity_unescaped, '') AS cef_severity,
    ${LOOKED_UP_KEYS.map((k) => `NULLIF(u_${k}, '') AS ${keyColumn(k)}`).join(',\n    ')},
    COALESCE(NULLIF(stamp_host, ''), NULLIF(last_token, '')) AS host_token
  FROM dskit_values`,
    },
    {
      name: 'dskit_fields',
      select: `SELECT source_time, format, format_version, vendor, product, device_version, stamp,
    ${integer('signature_text')} AS signature_id,
    COALESCE(cef_name, ${field(EXTENSION_KEYS.leef_name)}) AS name,
    COALESCE(cef_severity, ${field(EXTENSION_KEYS.leef_severity)}) AS severity_text,
    ${field(EXTENSION_KEYS.src)} AS src,
    ${field(EXTENSION_KEYS.dst)} AS dst,
    ${field(EXTENSION_KEYS.spt)} AS spt_text,
    ${field(EXTENSION_KEYS.dpt)} AS dpt_text,
    ${field(EXTENSION_KEYS.protocol)} AS protocol,
    ${field(EXTENSION_KEYS.act)} AS act,
    ${field(EXTENSION_KEYS.host_id)} AS host_id_text,
    ${field(EXTENSION_KEYS.dvchost)} AS dvchost,
    ${field(EXTENSION_KEYS.dvc)} AS dvc,
    ${field(EXTENSION_KEYS.rt)} AS rt,
    ${field(EXTENSION_KEYS.user_name)} AS user_name,
    CASE WHEN ${d.matches('host_token', PATTERNS.notAHost)} THEN NULL ELSE host_token END AS syslog_host,
    CASE WHEN ${d.matches(field(EXTENSION_KEYS.rt), PATTERNS.rtEpoch)} THEN 'epoch' WHEN ${d.matches(field(EXTENSION_KEYS.rt), PATTERNS.rtText)} THEN 'text' END AS rt_kind,
    CASE WHEN substr(stamp, 5, 1) = '-' THEN 'iso' WHEN stamp IS NOT NULL THEN 'bsd' END AS stamp_kind,
    ${d.toEpochMillis('source_time')} AS source_ms,
    EXTRACT(YEAR FROM source_time) AS source_year
  FROM dskit_nonempty`,
    },
    {
      // The event's own time: `rt`, else the syslog timestamp, as calendar fields (UTC).
      name: 'dskit_clock',
      select: `SELECT *,
    CASE WHEN rt_kind = 'text' THEN ${num(d.element(d.split(`substr(rt, 5)`, "' '"), 2))}
         WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN ${num('substr(stamp, 1, 4)')}
         WHEN rt_kind IS NULL AND stamp_kind = 'bsd' THEN COALESCE(source_year, EXTRACT(YEAR FROM ${d.fromEpochMillis(d.nowEpochMillis())})) END AS c_year,
    CASE WHEN rt_kind = 'text' THEN ${monthNumber('substr(rt, 1, 3)')}
         WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN ${num('substr(stamp, 6, 2)')}
         WHEN rt_kind IS NULL AND stamp_kind = 'bsd' THEN ${monthNumber('substr(stamp, 1, 3)')} END AS c_month,
    CASE WHEN rt_kind = 'text' THEN ${num(d.element(d.split(`substr(rt, 5)`, "' '"), 1))}
         WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN ${num('substr(stamp, 9, 2)')}
         WHEN rt_kind IS NULL AND stamp_kind = 'bsd' THEN ${num(d.element(d.split(d.trimLeadingSpaces('substr(stamp, 4)'), "' '"), 1))} END AS c_day,
    CASE WHEN rt_kind = 'text' THEN ${d.element(d.split(`substr(rt, 5)`, "' '"), 3)}
         WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN substr(stamp, 12, 8)
         WHEN rt_kind IS NULL AND stamp_kind = 'bsd' THEN ${d.element(d.split(d.trimLeadingSpaces('substr(stamp, 4)'), "' '"), 2)} END AS c_clock,
    CASE WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN ${num(`substr(COALESCE(${d.extract('stamp', PATTERNS.isoFraction)}, '') || '000', 1, 3)`)} ELSE 0 END AS c_millis,
    CASE WHEN rt_kind = 'text' THEN substr(${d.element(d.split(`substr(rt, 5)`, "' '"), 4)}, 4)
         WHEN rt_kind IS NULL AND stamp_kind = 'iso' THEN ${d.extract('stamp', PATTERNS.isoZone)} END AS c_zone
  FROM dskit_fields`,
    },
    {
      name: 'dskit_clock_fields',
      select: `SELECT *,
    ${num('substr(c_clock, 1, 2)')} AS c_hour, ${num('substr(c_clock, 4, 2)')} AS c_minute, ${num('substr(c_clock, 7, 2)')} AS c_second,
    CASE WHEN c_zone IS NULL THEN 0
         ELSE (CASE WHEN substr(c_zone, 1, 1) = '-' THEN -1 ELSE 1 END) * (${num('substr(c_zone, 2, 2)')} * 60 + ${num('substr(c_zone, length(c_zone) - 1, 2)')}) END AS c_offset_minutes,
    CASE WHEN c_month <= 2 THEN c_year - 1 ELSE c_year END AS c_era_year
  FROM dskit_clock`,
    },
    {
      // Days since the epoch from the civil date (H. Hinnant's days_from_civil), then milliseconds.
      name: 'dskit_civil',
      select: `SELECT *,
    CASE WHEN rt_kind = 'epoch' THEN ${num('rt')}
         WHEN c_year BETWEEN 1 AND 9999 AND c_month BETWEEN 1 AND 12 AND c_day BETWEEN 1 AND 31 AND c_hour <= 23 AND c_minute <= 59 AND c_second <= 59 THEN
      (${d.intDiv('c_era_year', '400')} * 146097
        + (c_era_year - ${d.intDiv('c_era_year', '400')} * 400) * 365
        + ${d.intDiv(`c_era_year - ${d.intDiv('c_era_year', '400')} * 400`, '4')}
        - ${d.intDiv(`c_era_year - ${d.intDiv('c_era_year', '400')} * 400`, '100')}
        + ${d.intDiv('153 * (CASE WHEN c_month > 2 THEN c_month - 3 ELSE c_month + 9 END) + 2', '5')} + c_day - 1
        - 719468) * ${d.bigint(MS_PER_DAY)}
      + c_hour * 3600000 + c_minute * 60000 + c_second * 1000 + c_millis - c_offset_minutes * 60000 END AS line_ms
  FROM dskit_clock_fields`,
    },
    {
      // A BSD timestamp has no year: the reference's year, or the year before when that would put
      // the event more than a day after the reference (a December line received in January).
      name: 'dskit_timed',
      select: `SELECT *,
    CASE WHEN rt_kind IS NULL AND stamp_kind = 'bsd' AND line_ms > COALESCE(source_ms, ${d.nowEpochMillis()}) + ${d.bigint(MS_PER_DAY)}
         THEN line_ms - ${d.bigint(MS_PER_DAY)} * (CASE WHEN (c_month > 2 AND ${leapYear(d, 'c_year')}) OR (c_month <= 2 AND ${leapYear(d, 'c_year - 1')}) THEN 366 ELSE 365 END)
         ELSE line_ms END AS event_ms
  FROM dskit_civil`,
    },
    {
      name: 'dskit_typed',
      select: `SELECT COALESCE(${d.fromEpochMillis('event_ms')}, source_time) AS event_time,
    format, format_version, vendor, product, device_version, signature_id, name,
    ${integer('severity_text')} AS severity,
    src, dst, ${integer('spt_text')} AS spt, ${integer('dpt_text')} AS dpt, protocol, act,
    ${integer('host_id_text')} AS host_id, host_id_text, dvchost, dvc, syslog_host, user_name
  FROM dskit_timed`,
    },
    {
      name: EVENTS_CTE,
      select: `SELECT event_time,
    ${d.truncHour('event_time')} AS event_hour,
    format, format_version, vendor, product, device_version, signature_id, name, severity,
    ${moduleCase} AS module,
    src, dst, spt, dpt, protocol, act, host_id, dvchost, dvc, syslog_host,
    COALESCE(dvchost, dvc, syslog_host, 'host-id:' || host_id_text) AS host,
    -- DS puts a firewall event's reason (the rule, or the stateful check) in the event name.
    name AS reason,
    ${serviceCase} AS service,
    user_name
  FROM dskit_typed`,
    },
  ];
  return ctes.map((c) => `${c.name} AS (\n  ${c.select}\n)`).join(',\n');
}

function leapYear(d: Dialect, year: string): string {
  const mod = (n: number) => `(${year}) - ${d.intDiv(year, String(n))} * ${n}`;
  return `((${mod(4)} = 0 AND ${mod(100)} <> 0) OR ${mod(400)} = 0)`;
}

/** The parsed events of `source` as one SELECT (for checks and ad-hoc queries). */
export function eventsSelect(d: Dialect, source: string): string {
  return `WITH ${eventsCtes(d, source)}\nSELECT ${EVENT_COLUMNS.join(', ')} FROM ${EVENTS_CTE}`;
}
