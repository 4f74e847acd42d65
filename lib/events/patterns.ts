/**
 * The regular expressions the SQL renderings use to take a raw syslog line apart.
 *
 * They are written in the subset that RE2 (BigQuery, DuckDB) and Joni/Java (Athena) read alike:
 * no lookaround, no backreferences, no `\s` (whose meaning differs), and every extracting pattern
 * has exactly one capturing group (BigQuery's REGEXP_EXTRACT allows no more).
 *
 * A line is `<syslog header> CEF:<v>|...` or `<syslog header> LEEF:<v>|...`; the event starts at
 * the first `CEF:`/`LEEF:` before any `|`, so a syslog header may precede it. The event ends at
 * the first line break (`.` stops there in every engine).
 */

/** A header field: anything up to an unescaped `|`, where `\|` and `\\` are escapes. */
const FIELD = String.raw`[^\\|]*(?:\\.[^\\|]*)*`;
// rsyslog's file templates can turn `CEF:0|` into `CEF: 0|` (tag `CEF:`, then a space before
// the message), so one space after the colon is allowed.
const CEF_AT = String.raw`^[^|]*?CEF: ?`;
const LEEF_AT = String.raw`^[^|]*?LEEF: ?`;

/** The separator the parsed extension uses between `key=value` pairs (SOH: never in DS output). */
export const PAIR_SEPARATOR_CODE = 1;
const SEP = String.raw`\x01`;

/** LEEF 2.0's optional delimiter field: one character, or its code in hex (`x09`, `0x5E`). */
const LEEF_DELIMITER = String.raw`[^|=]?|0?[xX][0-9A-Fa-f]{1,4}`;

export const PATTERNS = {
  /** The whole CEF header is present (version and the seven `|`-ended fields). */
  isCef: `${CEF_AT}[0-9]+\\|(?:${FIELD}\\|){6}`,
  /** The LEEF header is present (version and vendor, product, version, event id). */
  isLeef: `${LEEF_AT}[12]\\.0\\|(?:${FIELD}\\|){4}`,

  cefVersion: `${CEF_AT}([0-9]+)\\|`,
  /** CEF header field n (1 vendor, 2 product, 3 device version, 4 signature id, 5 name, 6 severity). */
  cefField: (n: number) => `${CEF_AT}[0-9]+\\|(?:${FIELD}\\|){${n - 1}}(${FIELD})\\|`,
  cefExtension: `${CEF_AT}[0-9]+\\|(?:${FIELD}\\|){6}(.*)`,

  leefVersion: `${LEEF_AT}([12]\\.0)\\|`,
  /** LEEF header field n (1 vendor, 2 product, 3 version, 4 event id). */
  leefField: (n: number) => `${LEEF_AT}[12]\\.0\\|(?:${FIELD}\\|){${n - 1}}(${FIELD})\\|`,
  leefDelimiter: `${LEEF_AT}2\\.0\\|(?:${FIELD}\\|){4}(${LEEF_DELIMITER})\\|`,
  /** The attributes: after the header and, in LEEF 2.0, after the delimiter field when present. */
  leefAttributes: `${LEEF_AT}(?:1\\.0\\|(?:${FIELD}\\|){4}|2\\.0\\|(?:${FIELD}\\|){4}(?:(?:${LEEF_DELIMITER})\\|)?)(.*)`,
  /** The hex digits of a delimiter given as a code. */
  hexDigits: '([0-9A-Fa-f]{1,4})$',

  /**
   * Where a CEF extension key starts: spaces, a key, `=`. A value ends where the next ` key=`
   * begins; an `=` inside a value is escaped (`\=`), so it never looks like a key.
   */
  cefKeyStart: ' +([A-Za-z0-9_]+)=',
  /** The value of `key` in the separator-joined pairs, without surrounding spaces. */
  pairValue: (key: string) => `${SEP}${key}= *([^${SEP}]*?) *(?:${SEP}|$)`,
  /** CEF extension escapes (`\=`, `\|`, `\\`); LEEF values from DS escape the same way. */
  valueEscape: String.raw`\\([\\=|])`,
  /** CEF header escapes (`\|`, `\\`). */
  headerEscape: String.raw`\\([\\|])`,

  /** The token right before the event: the syslog header's host name. */
  syslogHost: String.raw`^[^|]*?([^ \t|>]+)[ \t]+(?:CEF: ?[0-9]|LEEF: ?[12]\.0)`,
  /** Tokens in the host position that are not a host: a nil `-` or a timestamp. */
  notAHost: String.raw`^(?:-|[0-9][0-9]:[0-9][0-9]:[0-9][0-9].*|[0-9]{4}-[0-9][0-9]-[0-9][0-9]T.*)$`,

  /** A decimal integer that fits a BIGINT. */
  integer: '^-?[0-9]{1,18}$',
} as const;

/** Every pattern the renderings use, for checks that they stay in the common subset. */
export function allPatterns(): string[] {
  const fixed = Object.values(PATTERNS).filter((p): p is string => typeof p === 'string');
  const cefFields = [1, 2, 3, 4, 5, 6].map(PATTERNS.cefField);
  const leefFields = [1, 2, 3, 4].map(PATTERNS.leefField);
  return [...fixed, ...cefFields, ...leefFields, PATTERNS.pairValue('src')];
}
