/**
 * The only place where Athena (Trino), BigQuery and DuckDB SQL differ for the event reports:
 * literals, regex functions and their replacement syntax, casts, and time truncation.
 * Everything else is written once in the common subset of the three.
 */
export type SqlDialect = 'athena' | 'bigquery' | 'duckdb';

export const SQL_DIALECTS: readonly SqlDialect[] = ['athena', 'bigquery', 'duckdb'];

/** A piece of a regex replacement: literal text, a capture group number, or a SQL expression. */
export type ReplacementPart = string | number | { readonly sql: string };

export interface Dialect {
  readonly name: SqlDialect;
  /** A string literal. */
  text(value: string): string;
  /** A regular expression literal. */
  pattern(regex: string): string;
  /** The first capturing group of `regex` in `expr`; NULL when it does not match. */
  extract(expr: string, regex: string): string;
  /** Whether `regex` matches somewhere in `expr`. */
  matches(expr: string, regex: string): string;
  /** Every match of `regex` in `expr` replaced. */
  replaceAll(expr: string, regex: string, replacement: readonly ReplacementPart[]): string;
  /** A string of decimal digits (already checked) as a 64-bit integer. */
  toBigint(expr: string): string;
  /** The character with this code. */
  char(code: number): string;
  /** The integer whose hex digits are `expr`. */
  hexToInt(expr: string): string;
  /** The character with the code in `expr` (an integer expression known to be a valid code point). */
  charOfCode(expr: string): string;
  /** The timestamp truncated to its hour. */
  truncHour(expr: string): string;
  /** The first capturing group of `regex` in `expr`, as the engine returns it (only for patterns known to match). */
  extractMatched(expr: string, regex: string): string;
  /** `expr` split at every `delimiter` (a SQL string expression), as an array. */
  split(expr: string, delimiter: string): string;
  /** Element n (from 1) of an array made by `split`; NULL past its end. */
  element(array: string, n: number): string;
  /** The text of `expr` up to the first `delimiter` (a SQL string expression); all of it when there is none. */
  beforeFirst(expr: string, delimiter: string): string;
  /** `expr` without leading and trailing spaces (U+0020 only; tabs stay). */
  trimSpaces(expr: string): string;
  /** `expr` without leading spaces. */
  trimLeadingSpaces(expr: string): string;
  /** Integer division of two non-negative BIGINT expressions. */
  intDiv(a: string, b: string): string;
  /** A TIMESTAMP (UTC, no zone) from milliseconds since the epoch. */
  fromEpochMillis(expr: string): string;
  /** Milliseconds since the epoch of a TIMESTAMP. */
  toEpochMillis(expr: string): string;
  /** The current time in milliseconds since the epoch. */
  nowEpochMillis(): string;
  /** An integer literal typed as a 64-bit integer, so arithmetic with it cannot overflow 32 bits. */
  bigint(value: number): string;
}

function standardText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Builds `a || b || c` from replacement parts, each rendered by `literal` or `group`. */
function replacementSql(parts: readonly ReplacementPart[], literal: (text: string) => string, group: (n: number) => string): string {
  const pieces: string[] = [];
  let pending = '';
  const flush = () => {
    if (pending !== '') pieces.push(literal(pending));
    pending = '';
  };
  for (const part of parts) {
    if (typeof part === 'string') pending += part;
    else if (typeof part === 'number') pending += group(part);
    else {
      flush();
      pieces.push(part.sql);
    }
  }
  flush();
  return pieces.length === 0 ? literal('') : pieces.join(' || ');
}

const athena: Dialect = {
  name: 'athena',
  text: standardText,
  pattern: standardText,
  extract: (expr, regex) => `regexp_extract(${expr}, ${standardText(regex)}, 1)`,
  matches: (expr, regex) => `regexp_like(${expr}, ${standardText(regex)})`,
  // Trino replacements refer to groups as $1; a literal $ or \ is escaped with a backslash.
  replaceAll: (expr, regex, parts) =>
    `regexp_replace(${expr}, ${standardText(regex)}, ${replacementSql(
      parts.map((p) => (typeof p === 'string' ? p.replace(/[\\$]/g, (c) => `\\${c}`) : p)),
      standardText,
      (n) => `$${n}`,
    )})`,
  toBigint: (expr) => `try_cast(${expr} AS bigint)`,
  char: (code) => `chr(${code})`,
  hexToInt: (expr) => `from_base(${expr}, 16)`,
  charOfCode: (expr) => `chr(${expr})`,
  truncHour: (expr) => `date_trunc('hour', ${expr})`,
  extractMatched: (expr, regex) => `regexp_extract(${expr}, ${standardText(regex)}, 1)`,
  split: (expr, delimiter) => `split(${expr}, ${delimiter})`,
  // element_at, not [], so an index past the end is NULL rather than an error.
  element: (array, n) => `element_at(${array}, ${n})`,
  beforeFirst: (expr, delimiter) => `split_part(${expr}, ${delimiter}, 1)`,
  // Trino's trim([ [ specification ] [ string ] FROM ] source) (functions/string.html); plain trim() would also cut tabs.
  trimSpaces: (expr) => `trim(BOTH ' ' FROM ${expr})`,
  trimLeadingSpaces: (expr) => `trim(LEADING ' ' FROM ${expr})`,
  intDiv: (a, b) => `(${a}) / (${b})`,
  // Plain timestamp arithmetic: no session time zone is involved (from_unixtime would bring one).
  fromEpochMillis: (expr) => `date_add('millisecond', ${expr}, TIMESTAMP '1970-01-01 00:00:00.000')`,
  toEpochMillis: (expr) => `date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00.000', ${expr})`,
  nowEpochMillis: () => `CAST(to_unixtime(current_timestamp) * 1000 AS bigint)`,
  bigint: (value) => `CAST(${value} AS bigint)`,
};

function bigqueryText(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** BigQuery raw string: backslashes stay as written, which keeps regexes readable. */
function bigqueryRaw(regex: string): string {
  if (!regex.includes("'") && !/\\$/.test(regex)) return `r'${regex}'`;
  if (!regex.includes('"') && !/\\$/.test(regex)) return `r"${regex}"`;
  throw new Error(`bigquery: cannot write ${JSON.stringify(regex)} as a raw string literal`);
}

const bigquery: Dialect = {
  name: 'bigquery',
  text: bigqueryText,
  pattern: bigqueryRaw,
  extract: (expr, regex) => `REGEXP_EXTRACT(${expr}, ${bigqueryRaw(regex)})`,
  matches: (expr, regex) => `REGEXP_CONTAINS(${expr}, ${bigqueryRaw(regex)})`,
  // BigQuery replacements refer to groups as \1; a literal backslash is doubled.
  replaceAll: (expr, regex, parts) =>
    `REGEXP_REPLACE(${expr}, ${bigqueryRaw(regex)}, ${replacementSql(
      parts.map((p) => (typeof p === 'string' ? p.replace(/\\/g, '\\\\') : p)),
      (t) => bigqueryText(t),
      (n) => `\\${n}`,
    )})`,
  toBigint: (expr) => `SAFE_CAST(${expr} AS INT64)`,
  char: (code) => `CODE_POINTS_TO_STRING([${code}])`,
  hexToInt: (expr) => `SAFE_CAST(CONCAT('0x', ${expr}) AS INT64)`,
  charOfCode: (expr) => `CODE_POINTS_TO_STRING([${expr}])`,
  truncHour: (expr) => `TIMESTAMP_TRUNC(${expr}, HOUR)`,
  extractMatched: (expr, regex) => `REGEXP_EXTRACT(${expr}, ${bigqueryRaw(regex)})`,
  split: (expr, delimiter) => `SPLIT(${expr}, ${delimiter})`,
  element: (array, n) => `${array}[SAFE_OFFSET(${n - 1})]`,
  beforeFirst: (expr, delimiter) => `SPLIT(${expr}, ${delimiter})[SAFE_OFFSET(0)]`,
  trimSpaces: (expr) => `TRIM(${expr}, ' ')`,
  trimLeadingSpaces: (expr) => `LTRIM(${expr}, ' ')`,
  intDiv: (a, b) => `DIV(${a}, ${b})`,
  fromEpochMillis: (expr) => `TIMESTAMP_MILLIS(${expr})`,
  toEpochMillis: (expr) => `UNIX_MILLIS(${expr})`,
  nowEpochMillis: () => `UNIX_MILLIS(CURRENT_TIMESTAMP())`,
  // Integer literals are INT64 already.
  bigint: (value) => String(value),
};

const duckdb: Dialect = {
  name: 'duckdb',
  text: standardText,
  pattern: standardText,
  // DuckDB returns '' rather than NULL when there is no match; NULLIF makes it agree with the others.
  extract: (expr, regex) => `NULLIF(regexp_extract(${expr}, ${standardText(regex)}, 1), '')`,
  matches: (expr, regex) => `regexp_matches(${expr}, ${standardText(regex)})`,
  // RE2 rewrite strings refer to groups as \1; 'g' replaces every match, not only the first.
  replaceAll: (expr, regex, parts) =>
    `regexp_replace(${expr}, ${standardText(regex)}, ${replacementSql(
      parts.map((p) => (typeof p === 'string' ? p.replace(/\\/g, '\\\\') : p)),
      standardText,
      (n) => `\\${n}`,
    )}, 'g')`,
  toBigint: (expr) => `TRY_CAST(${expr} AS BIGINT)`,
  char: (code) => `chr(${code})`,
  hexToInt: (expr) => `TRY_CAST('0x' || ${expr} AS BIGINT)`,
  charOfCode: (expr) => `chr(CAST(${expr} AS INTEGER))`,
  truncHour: (expr) => `date_trunc('hour', ${expr})`,
  extractMatched: (expr, regex) => `regexp_extract(${expr}, ${standardText(regex)}, 1)`,
  split: (expr, delimiter) => `string_split(${expr}, ${delimiter})`,
  element: (array, n) => `${array}[${n}]`,
  beforeFirst: (expr, delimiter) => `split_part(${expr}, ${delimiter}, 1)`,
  trimSpaces: (expr) => `trim(${expr}, ' ')`,
  trimLeadingSpaces: (expr) => `ltrim(${expr}, ' ')`,
  intDiv: (a, b) => `(${a}) // (${b})`,
  fromEpochMillis: (expr) => `epoch_ms(${expr})`,
  toEpochMillis: (expr) => `epoch_ms(${expr})`,
  nowEpochMillis: () => `epoch_ms(current_timestamp)`,
  bigint: (value) => `CAST(${value} AS BIGINT)`,
};

const DIALECTS: Record<SqlDialect, Dialect> = { athena, bigquery, duckdb };

export function dialectOf(name: SqlDialect): Dialect {
  const d = DIALECTS[name];
  if (!d) throw new Error(`SQL dialect: got ${JSON.stringify(name)}; allowed: ${SQL_DIALECTS.join(' | ')}`);
  return d;
}
