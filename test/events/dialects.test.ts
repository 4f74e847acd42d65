/**
 * The Athena and BigQuery renderings (no engine here): the same report as DuckDB's (same output
 * columns), each in its own dialect's syntax, with regexes in the common RE2/Java subset.
 */
import { REPORTS, reportSql, SQL_DIALECTS, type SqlDialect } from '../../lib/events';
import { dialectOf } from '../../lib/events/dialects';
import { allPatterns, EXTRACTING_PATTERNS } from '../../lib/events/patterns';

/** The aliases of the report's final SELECT list (after the events CTEs). */
function outputColumns(sql: string): string[] {
  const select = sql.slice(sql.lastIndexOf('\nSELECT\n') + 8, sql.indexOf('\nFROM dskit_events'));
  return select.split(',\n').map((item) => /AS (\w+)$/.exec(item.trim())![1]);
}

/** The regex literals a rendering passes to its regex functions. */
function regexLiterals(sql: string, dialect: SqlDialect): string[] {
  if (dialect === 'bigquery') return [...sql.matchAll(/\br'([^']*)'|\br"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
  const calls = /(?:regexp_extract|regexp_like|regexp_matches|regexp_replace)\([^']*?'((?:[^']|'')*)'/g;
  return [...sql.matchAll(calls)].map((m) => m[1].replace(/''/g, "'"));
}

/** Capturing groups: `(` not escaped and not followed by `?`. */
function capturingGroups(regex: string): number {
  return [...regex.replace(/\\./g, 'e').replace(/\[[^\]]*\]/g, 'c').matchAll(/\((?!\?)/g)].length;
}

const LOOKAROUND_OR_BACKREFERENCE = /\(\?[=!]|\(\?<[=!]|\\[1-9]|\\k</;

describe('the SQL renderings', () => {
  const rendered = Object.fromEntries(
    SQL_DIALECTS.map((d) => [d, Object.fromEntries(REPORTS.map((r) => [r.id, reportSql(r.id, d, 'dskit_lines')]))]),
  ) as Record<SqlDialect, Record<string, string>>;

  it.each(REPORTS.map((r) => [r.id]))('%s has the same output columns in every dialect', (id) => {
    const expected = REPORTS.find((r) => r.id === id)!.columns.map((c) => c.name);
    for (const d of SQL_DIALECTS) expect(outputColumns(rendered[d][id])).toEqual(expected);
  });

  it('athena uses Trino functions, $1 replacements and standard quoting', () => {
    const sql = rendered.athena['events-per-host-hour'];
    expect(sql).toContain("regexp_like(line, '^[^|]*?(?:CEF: ?[0-9]+");
    expect(sql).toMatch(/regexp_replace\(body, ' \+\(\[A-Za-z0-9_\]\+\)=', chr\(1\) \|\| '\$1='\)/);
    expect(sql).toContain('try_cast(signature_text AS bigint)');
    expect(sql).toContain("element_at(parts, 7)");
    expect(sql).toContain("date_add('millisecond', event_ms, TIMESTAMP '1970-01-01 00:00:00.000')");
    expect(sql).toContain("date_trunc('hour', event_time)");
    expect(sql).not.toMatch(/REGEXP_CONTAINS|SAFE_CAST|\br'|'g'\)|string_split|epoch_ms/);
  });

  it('bigquery uses raw-string regexes, \\1 replacements and BigQuery functions', () => {
    const sql = rendered.bigquery['events-per-host-hour'];
    expect(sql).toContain("REGEXP_CONTAINS(line, r'^[^|]*?(?:CEF: ?[0-9]+");
    expect(sql).toContain("REGEXP_REPLACE(body, r' +([A-Za-z0-9_]+)=', CODE_POINTS_TO_STRING([1]) || '\\\\1=')");
    expect(sql).toContain('SAFE_CAST(signature_text AS INT64)');
    expect(sql).toContain('parts[SAFE_OFFSET(6)]');
    expect(sql).toContain('TIMESTAMP_MILLIS(event_ms)');
    expect(sql).toContain('TIMESTAMP_TRUNC(event_time, HOUR)');
    expect(sql).not.toMatch(/regexp_like|try_cast|date_trunc|element_at|\$1/);
    // GoogleSQL has no BIGINT type name (INT64; ZetaSQL refuses "Type not found: BIGINT").
    expect(sql).not.toMatch(/\bBIGINT\b/i);
  });

  it('duckdb replaces globally and turns no-match into NULL as the others do', () => {
    const sql = rendered.duckdb['events-per-host-hour'];
    expect(sql).toContain("regexp_replace(body, ' +([A-Za-z0-9_]+)=', chr(1) || '\\1=', 'g')");
    expect(sql).toContain("NULLIF(regexp_extract(prefix, '^(?:<[0-9]{1,3}>)?");
  });

  it.each(SQL_DIALECTS.map((d) => [d]))('%s runs each regex once, and only three over the whole line', (d) => {
    const sql = rendered[d as SqlDialect]['top-source-ips'];
    const calls = [...sql.matchAll(/\b(?:regexp_extract|regexp_like|regexp_matches|regexp_replace|REGEXP_EXTRACT|REGEXP_CONTAINS|REGEXP_REPLACE)\((\w+), /g)];
    const texts = calls.map((m) => sql.slice(m.index!, sql.indexOf(')', sql.indexOf("'", m.index! + m[0].length + 2) + 1) + 1));
    expect(new Set(texts).size).toBe(texts.length);
    // The whole line is read by the event test, the prefix extraction and (CEF) the key-start replace;
    // the line-break cut runs only on lines that hold a break.
    expect(calls.filter((m) => ['line', 'body'].includes(m[1])).length).toBe(3);
    // No CTE reads a regex's result column twice in one expression of the same SELECT: each is a column reference.
    expect(sql).not.toMatch(/NULLIF\((?:regexp|REGEXP)_EXTRACT\((?!raw_line|prefix|stamp|delimiter_field)/i);
  });

  it.each(SQL_DIALECTS.map((d) => [d]))('%s regexes have no lookaround or backreference', (d) => {
    const literals = REPORTS.flatMap((r) => regexLiterals(rendered[d as SqlDialect][r.id], d as SqlDialect));
    expect(literals.length).toBeGreaterThan(12);
    for (const regex of literals) expect(regex).not.toMatch(LOOKAROUND_OR_BACKREFERENCE);
  });

  it('every extracting pattern has exactly one capturing group (BigQuery allows no more)', () => {
    for (const p of EXTRACTING_PATTERNS) expect([p, capturingGroups(p)]).toEqual([p, 1]);
    for (const p of allPatterns().filter((q) => !EXTRACTING_PATTERNS.includes(q))) expect([p, capturingGroups(p)]).toEqual([p, 0]);
    const bigqueryExtracts = [...rendered.bigquery['top-source-ips'].matchAll(/REGEXP_EXTRACT\([^']*?r'([^']*)'\)/g)].map((m) => m[1]);
    expect(bigqueryExtracts.length).toBeGreaterThanOrEqual(7);
    for (const p of bigqueryExtracts) expect([p, capturingGroups(p)]).toEqual([p, 1]);
  });

  it('reads a parenthesized subquery as the source', () => {
    const sql = reportSql('top-source-ips', 'athena', "(SELECT message AS line, from_unixtime(ts / 1000) AS event_time FROM raw_events)");
    expect(sql).toContain('SELECT line AS raw_line, event_time AS source_time FROM (SELECT message AS line, from_unixtime(ts / 1000) AS event_time FROM raw_events) AS dskit_source');
  });
});

describe('dialect literals', () => {
  it('quotes text for each dialect', () => {
    expect(dialectOf('athena').text("it's")).toBe("'it''s'");
    expect(dialectOf('duckdb').text("a\\b")).toBe("'a\\b'");
    expect(dialectOf('bigquery').text("it's a\\b")).toBe("'it\\'s a\\\\b'");
    expect(dialectOf('bigquery').pattern("it's")).toBe('r"it\'s"');
  });

  it('escapes literal replacement text for each dialect', () => {
    expect(dialectOf('athena').replaceAll('x', 'a', ['$', 1])).toBe("regexp_replace(x, 'a', '\\$$1')");
    expect(dialectOf('duckdb').replaceAll('x', 'a', ['\\', 1])).toBe("regexp_replace(x, 'a', '\\\\\\1', 'g')");
    expect(dialectOf('bigquery').replaceAll('x', 'a', ['\\', 1])).toBe("REGEXP_REPLACE(x, r'a', '\\\\\\\\\\\\1')");
  });

  it('refuses an unknown dialect naming the allowed ones', () => {
    expect(() => reportSql('top-source-ips', 'mysql' as SqlDialect, 't')).toThrow('SQL dialect: got "mysql"; allowed: athena | bigquery | duckdb');
  });
});

describe('the Athena and BigQuery regexes compile in RE2 (DuckDB)', () => {
  let failures: string[];

  beforeAll(async () => {
    const { OfflineEvents } = require('../../lib/events/offline') as typeof import('../../lib/events/offline');
    const db = await OfflineEvents.open();
    failures = [];
    const literals = new Set(
      (['athena', 'bigquery'] as const).flatMap((d) => REPORTS.flatMap((r) => regexLiterals(reportSql(r.id, d, 't'), d))),
    );
    for (const regex of literals) {
      try {
        await db.query(`SELECT regexp_matches('x', ${dialectOf('duckdb').pattern(regex)}) AS ok`);
      } catch (err) {
        failures.push(`${regex}: ${(err as Error).message}`);
      }
    }
    db.close();
  });

  it('has no regex RE2 rejects', () => {
    expect(failures).toEqual([]);
  });
});

describe('report orders', () => {
  it('are total: every grouping column, or the output column made from it, decides ties', () => {
    const { ALL_REPORTS } = require('../../lib/events') as typeof import('../../lib/events');
    for (const r of ALL_REPORTS) {
      const ordered = r.orderBy.map((o) => o.replace(/ DESC$/, ''));
      // `service` is a function of the port, so the port decides its ties.
      const decided = r.groupBy.filter((g) => g !== 'service').map((g) => r.columns.find((c) => c.sql === g)!.name);
      expect([r.id, decided.filter((name) => !ordered.includes(name))]).toEqual([r.id, []]);
    }
  });

  it('put NULLs last in every dialect (BigQuery would put them first)', () => {
    for (const d of SQL_DIALECTS) expect(reportSql('top-source-ips', d, 't')).toContain('ORDER BY events DESC NULLS LAST, source_ip NULLS LAST');
  });
});
