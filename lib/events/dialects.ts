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
  /** The character whose code is the hex digits in `expr`. */
  charOfHex(expr: string): string;
  /** The timestamp truncated to its hour. */
  truncHour(expr: string): string;
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
  charOfHex: (expr) => `chr(from_base(${expr}, 16))`,
  truncHour: (expr) => `date_trunc('hour', ${expr})`,
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
  charOfHex: (expr) => `CODE_POINTS_TO_STRING([SAFE_CAST('0x' || ${expr} AS INT64)])`,
  truncHour: (expr) => `TIMESTAMP_TRUNC(${expr}, HOUR)`,
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
  charOfHex: (expr) => `chr(TRY_CAST('0x' || ${expr} AS INTEGER))`,
  truncHour: (expr) => `date_trunc('hour', ${expr})`,
};

const DIALECTS: Record<SqlDialect, Dialect> = { athena, bigquery, duckdb };

export function dialectOf(name: SqlDialect): Dialect {
  const d = DIALECTS[name];
  if (!d) throw new Error(`SQL dialect: got ${JSON.stringify(name)}; allowed: ${SQL_DIALECTS.join(' | ')}`);
  return d;
}
