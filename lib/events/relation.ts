/**
 * The parsed events relation every report reads: the raw lines of `source` taken apart into
 * CEF/LEEF header fields, the extension fields the reports need, the module and the host.
 * Written once; `Dialect` renders the few functions that differ.
 */
import type { Dialect } from './dialects';
import { MANAGER_PRODUCT_MARK, MODULE_RANGES } from './modules';
import { PAIR_SEPARATOR_CODE, PATTERNS } from './patterns';

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
] as const;
export type EventColumn = (typeof EVENT_COLUMNS)[number];

/**
 * Extension keys read from the pairs, with DS's LEEF name where it differs from CEF's
 * (LEEF spells ports srcPort/dstPort; the rest are shared).
 */
const KEYS = {
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
} as const;

/** The name of the CTE holding the parsed events; a report selects from it. */
export const EVENTS_CTE = 'dskit_events';

export function eventsCtes(d: Dialect, source: string): string {
  const sep = d.char(PAIR_SEPARATOR_CODE);
  const tab = d.char(9);
  const x = (regex: string) => d.extract('line', regex);
  const unescape = (expr: string, escape: string) => d.replaceAll(expr, escape, [1]);
  const integer = (expr: string) => `CASE WHEN ${d.matches(expr, PATTERNS.integer)} THEN ${d.toBigint(expr)} END`;
  const value = (key: string) => {
    if (!/^[A-Za-z0-9_]+$/.test(key)) throw new Error(`event key ${JSON.stringify(key)}: only letters, digits and _ are allowed`);
    return `NULLIF(${unescape(d.extract('pairs', PATTERNS.pairValue(key)), PATTERNS.valueEscape)}, '')`;
  };
  const field = (keys: readonly string[]) => (keys.length === 1 ? value(keys[0]) : `COALESCE(${keys.map(value).join(', ')})`);
  const headerField = (regex: string) => `NULLIF(${unescape(x(regex), PATTERNS.headerEscape)}, '')`;
  const header = (cef: number, leef: number | null) =>
    `CASE format WHEN 'CEF' THEN ${headerField(PATTERNS.cefField(cef))}` +
    (leef === null ? '' : ` WHEN 'LEEF' THEN ${headerField(PATTERNS.leefField(leef))}`) +
    ' END';

  const moduleCase = [
    `CASE WHEN product LIKE ${d.text(`%${MANAGER_PRODUCT_MARK}%`)} THEN 'system'`,
    ...MODULE_RANGES.map(
      ({ module, ranges }) =>
        `WHEN ${ranges.map(([lo, hi]) => (lo === hi ? `signature_id = ${lo}` : `signature_id BETWEEN ${lo} AND ${hi}`)).join(' OR ')} THEN '${module}'`,
    ),
    `ELSE 'system' END`,
  ].join('\n      ');

  return `dskit_raw AS (
  SELECT line, event_time FROM ${source} AS dskit_source
),
dskit_framed AS (
  SELECT line, event_time,
    CASE WHEN ${d.matches('line', PATTERNS.isCef)} THEN 'CEF'
         WHEN ${d.matches('line', PATTERNS.isLeef)} THEN 'LEEF' END AS format
  FROM dskit_raw
),
dskit_split AS (
  SELECT event_time, format,
    CASE format WHEN 'CEF' THEN ${x(PATTERNS.cefVersion)} WHEN 'LEEF' THEN ${x(PATTERNS.leefVersion)} END AS format_version,
    ${header(1, 1)} AS vendor,
    ${header(2, 2)} AS product,
    ${header(3, 3)} AS device_version,
    ${header(4, 4)} AS signature_text,
    ${header(5, null)} AS cef_name,
    ${header(6, null)} AS cef_severity,
    CASE format WHEN 'CEF' THEN ${x(PATTERNS.cefExtension)} WHEN 'LEEF' THEN ${x(PATTERNS.leefAttributes)} END AS body,
    CASE format WHEN 'LEEF' THEN ${x(PATTERNS.leefDelimiter)} END AS leef_delimiter,
    ${x(PATTERNS.syslogHost)} AS syslog_token
  FROM dskit_framed
  WHERE format IS NOT NULL
),
dskit_pairs AS (
  SELECT event_time, format, format_version, vendor, product, device_version, signature_text, cef_name, cef_severity, syslog_token,
    ${sep} || CASE format
      WHEN 'CEF' THEN ${d.replaceAll('body', PATTERNS.cefKeyStart, [{ sql: sep }, 1, '='])}
      ELSE REPLACE(body, CASE
        WHEN leef_delimiter IS NULL OR leef_delimiter = '' THEN ${tab}
        WHEN LENGTH(leef_delimiter) = 1 THEN leef_delimiter
        ELSE ${d.charOfHex(d.extract('leef_delimiter', PATTERNS.hexDigits))} END, ${sep})
    END AS pairs
  FROM dskit_split
),
dskit_fields AS (
  SELECT event_time, format, format_version, vendor, product, device_version,
    ${integer('signature_text')} AS signature_id,
    COALESCE(cef_name, ${field(KEYS.leef_name)}) AS name,
    ${integer(`COALESCE(cef_severity, ${field(KEYS.leef_severity)})`)} AS severity,
    ${field(KEYS.src)} AS src,
    ${field(KEYS.dst)} AS dst,
    ${integer(field(KEYS.spt))} AS spt,
    ${integer(field(KEYS.dpt))} AS dpt,
    ${field(KEYS.protocol)} AS protocol,
    ${field(KEYS.act)} AS act,
    ${field(KEYS.host_id)} AS host_id_text,
    ${field(KEYS.dvchost)} AS dvchost,
    ${field(KEYS.dvc)} AS dvc,
    CASE WHEN ${d.matches('syslog_token', PATTERNS.notAHost)} THEN NULL ELSE syslog_token END AS syslog_host
  FROM dskit_pairs
),
${EVENTS_CTE} AS (
  SELECT event_time,
    ${d.truncHour('event_time')} AS event_hour,
    format, format_version, vendor, product, device_version, signature_id, name, severity,
    ${moduleCase} AS module,
    src, dst, spt, dpt, protocol, act,
    ${integer('host_id_text')} AS host_id,
    dvchost, dvc, syslog_host,
    COALESCE(dvchost, dvc, syslog_host, 'host-id:' || host_id_text) AS host,
    -- DS puts a firewall event's reason (the rule, or the stateful check) in the event name.
    name AS reason
  FROM dskit_fields
)`;
}

/** The parsed events of `source` as one SELECT (for checks and ad-hoc queries). */
export function eventsSelect(d: Dialect, source: string): string {
  return `WITH ${eventsCtes(d, source)}\nSELECT ${EVENT_COLUMNS.join(', ')} FROM ${EVENTS_CTE}`;
}
