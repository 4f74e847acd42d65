/**
 * The regular expressions the SQL renderings use to take a raw syslog line apart.
 *
 * They are written in the subset that RE2 (BigQuery, DuckDB) and Joni/Java (Athena) read alike:
 * no lookaround, no backreferences, no `\s` (whose meaning differs), and every extracting pattern
 * has exactly one capturing group (BigQuery's REGEXP_EXTRACT allows no more). Most run on short
 * pieces (the text before the event, one value); only `isEvent`, `prefix` and `cefKeyStart` read
 * a whole line, each once.
 *
 * A line is `<syslog header> CEF:<v>|...` or `<syslog header> LEEF:<v>|...`; the event starts at
 * the `CEF:`/`LEEF:` that ends at the line's first `|`, so a syslog header may precede it. The
 * event ends at the first line break.
 */

/** A header field: anything up to an unescaped `|`, where `\|` and `\\` are escapes. */
const FIELD = String.raw`[^\\|]*(?:\\.[^\\|]*)*`;
// rsyslog's file templates can turn `CEF:0|` into `CEF: 0|` (tag `CEF:`, then a space before
// the message), so one space after the colon is allowed.
const MARKER = String.raw`(?:CEF: ?[0-9]+|LEEF: ?[12]\.0)\|`;

/** The separator the parsed extension uses between `key=value` pairs (SOH: never in DS output). */
export const PAIR_SEPARATOR_CODE = 1;
/** What an escaped backslash (`\\`) and an escaped bar (`\|`) stand for while the event is split. */
export const ESCAPED_BACKSLASH_CODE = 2;
export const ESCAPED_BAR_CODE = 3;

const ISO_STAMP = String.raw`[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?`;
const BSD_STAMP = String.raw`[A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}`;
/** `<PRI>` and an RFC 5424 VERSION, both optional. */
const SYSLOG_START = String.raw`^(?:<[0-9]{1,3}>)?(?:[0-9]{1,2} )?`;

export const PATTERNS = {
  /** The line holds a complete CEF header (version and seven fields) or LEEF header (version and four). */
  isEvent: String.raw`^[^|]*?(?:CEF: ?[0-9]+\|(?:${FIELD}\|){6}|LEEF: ?[12]\.0\|(?:${FIELD}\|){4})`,
  /** The text before the event (the syslog header), possibly empty. */
  prefix: `^([^|]*?)${MARKER}`,
  /** The line up to its first line break. */
  firstLine: String.raw`^([^\r\n]*)`,

  /** LEEF 2.0's optional delimiter field: empty, one character, or its code in hex (`x09`, `0x5E`). */
  leefDelimiterField: String.raw`^(?:[^|=]?|0?[xX][0-9A-Fa-f]{1,4})$`,
  /** The hex digits of a delimiter given as a code. */
  hexDigits: '([0-9A-Fa-f]{1,4})$',

  /**
   * Where a CEF extension key starts: spaces, a key, `=`. A value ends where the next ` key=`
   * begins; an `=` inside a value is escaped (`\=`), so it never looks like a key.
   */
  cefKeyStart: ' +([A-Za-z0-9_]+)=',

  /** The syslog timestamp at the start of the header: RFC 5424 / ISO 8601, or BSD (RFC 3164). */
  stamp: `${SYSLOG_START}(${ISO_STAMP}|${BSD_STAMP})`,
  /** The token after the timestamp (RFC 5424 HOSTNAME, BSD HOSTNAME); `-` is RFC 5424's nil. */
  hostAfterStamp: `${SYSLOG_START}(?:${ISO_STAMP}|${BSD_STAMP}|-) +([^ ]+) `,
  /** Without a timestamp: the token right before the event. */
  lastToken: String.raw`([^ \t|>]+)[ \t]+$`,
  /** Tokens in the host position that are not a host: a nil `-` or a timestamp. */
  notAHost: String.raw`^(?:-|[0-9][0-9]:[0-9][0-9]:[0-9][0-9].*|[0-9]{4}-[0-9][0-9]-[0-9][0-9]T.*)$`,
  /** The fraction of an ISO stamp's seconds. */
  isoFraction: String.raw`^.{19}\.([0-9]+)`,
  /** The zone offset at the end of an ISO stamp. */
  isoZone: '([+-][0-9]{2}:?[0-9]{2})$',
  /** `rt` as milliseconds since the epoch. */
  rtEpoch: '^[0-9]{12,14}$',
  /** `rt` as text: `Mar 09 2024 17:05:21`, optionally with ` GMT+09:00` or ` UTC+0900`. */
  rtText: String.raw`^[A-Z][a-z]{2} [0-9]{1,2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}(?: (?:GMT|UTC)[+-][0-9]{2}:?[0-9]{2})?$`,

  /** A decimal integer that fits a BIGINT. */
  integer: '^-?[0-9]{1,18}$',
} as const;

/** The patterns whose group is extracted (each has exactly one capturing group). */
export const EXTRACTING_PATTERNS: readonly string[] = [
  PATTERNS.prefix,
  PATTERNS.firstLine,
  PATTERNS.hexDigits,
  PATTERNS.cefKeyStart,
  PATTERNS.stamp,
  PATTERNS.hostAfterStamp,
  PATTERNS.lastToken,
  PATTERNS.isoFraction,
  PATTERNS.isoZone,
];

/** Every pattern the renderings use, for checks that they stay in the common subset. */
export function allPatterns(): string[] {
  return Object.values(PATTERNS);
}
