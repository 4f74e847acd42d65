/**
 * Every Athena named query the AWS stack synthesizes, parsed as Trino SQL (Athena engine v3 is
 * Trino). No Trino analyzer runs here (Trino is a Java server; CI reaches npm, NuGet and Debian
 * only), so the SQL goes through two parsers: node-sql-parser's `trino` dialect and dt-sql-parser's
 * TrinoSQL, which is generated from Trino's own ANTLR grammar. What a parser cannot see, whether a
 * function exists, is checked against Trino's function list.
 */
import { Parser } from 'node-sql-parser';
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino';
import { REPORTS, reportSql } from '../../lib/events';
import { athenaEventsSource } from '../../lib/aws/athena-analytics';
import { configWith } from '../helpers/config';
import { resourcesOf, synthAws } from '../aws/synth';

/**
 * The functions the Athena SQL may call: each is in Trino's list of functions
 * (trinodb/trino docs/src/main/sphinx/functions/list.md). Add one only after checking it there.
 */
const TRINO_FUNCTIONS = new Set([
  'cast',
  'chr',
  'coalesce',
  'count',
  'current_timestamp',
  'date_add',
  'date_diff',
  'date_parse',
  'date_trunc',
  'element_at',
  'from_base',
  'length',
  'max',
  'min',
  // NOT: the logical operator (node-sql-parser writes `NOT (...)` as a call).
  'not',
  'nullif',
  'regexp_extract',
  'regexp_like',
  'regexp_replace',
  'replace',
  'split',
  'split_part',
  'strpos',
  'substr',
  'to_unixtime',
  'trim',
  'try_cast',
  'upper',
]);

const nodeSqlParser = new Parser();
const trinoGrammar = new TrinoSQL();

/** Problems the two Trino parsers find; empty when both accept the SQL. */
function trinoProblems(sql: string): string[] {
  const problems: string[] = [];
  try {
    nodeSqlParser.astify(sql, { database: 'trino' });
  } catch (err) {
    problems.push(`node-sql-parser: ${(err as Error).message}`);
  }
  // antlr4ng's default listener prints each syntax error to the console as well: kept off the test
  // output, and counted, so nothing the grammar recovered from goes unseen.
  const printed: string[] = [];
  const console = jest.spyOn(global.console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  try {
    for (const e of trinoGrammar.validate(sql)) problems.push(`Trino grammar: line ${e.startLine}: ${e.message}`);
  } finally {
    console.mockRestore();
  }
  for (const line of printed) problems.push(`Trino grammar (antlr): ${line}`);
  return problems;
}

/** The function names a query calls (node-sql-parser's AST: function, aggregate and cast nodes). */
function calledFunctions(sql: string): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, any>;
    if (n.type === 'function') names.add(n.name.name.map((p: { value: string }) => p.value).join('.').toLowerCase());
    if (n.type === 'aggr_func') names.add(String(n.name).toLowerCase());
    if (n.type === 'cast') names.add(String(n.keyword).toLowerCase());
    Object.values(n).forEach(walk);
  };
  walk(nodeSqlParser.astify(sql, { database: 'trino' }));
  return [...names].sort();
}

describe('Athena named queries parse as Trino SQL', () => {
  let queries: Record<string, string>;
  beforeAll(() => {
    const { json } = synthAws(configWith());
    queries = Object.fromEntries(resourcesOf(json, 'AWS::Athena::NamedQuery').map(([, q]) => [q.Properties.Name, q.Properties.QueryString]));
  });

  test('one named query per report', () => {
    expect(Object.keys(queries).sort()).toEqual(REPORTS.map((r) => r.title).sort());
  });

  test.each(REPORTS.map((r) => [r.title]))('%s: both Trino parsers accept it', (title) => {
    expect(trinoProblems(queries[title])).toEqual([]);
  });

  test.each(REPORTS.map((r) => [r.title]))('%s: calls only functions Trino has', (title) => {
    const called = calledFunctions(queries[title]);
    expect(called.length).toBeGreaterThan(3);
    expect(called.filter((f) => !TRINO_FUNCTIONS.has(f))).toEqual([]);
  });
});

describe('the Trino gate refuses what Athena would', () => {
  const sql = reportSql('top-destination-ports', 'athena', athenaEventsSource('dskit_ds_eval', 'ds_events'));

  test('a reserved word as a column name (Trino reserves TABLE)', () => {
    expect(trinoProblems(sql)).toEqual([]);
    const problems = trinoProblems(sql.replace(/\bprotocol\b/g, 'table'));
    expect(problems.some((p) => p.startsWith('node-sql-parser'))).toBe(true);
    expect(problems.some((p) => p.startsWith('Trino grammar'))).toBe(true);
  });

  test('broken syntax', () => {
    expect(trinoProblems(sql.replace('GROUP BY', 'GROUP'))).not.toEqual([]);
  });

  test('the BigQuery rendering (raw strings r\'...\') is not Trino SQL', () => {
    const bigquery = reportSql('top-destination-ports', 'bigquery', athenaEventsSource('dskit_ds_eval', 'ds_events'));
    // The first raw-string call of the rendering, as a query of its own: the whole rendering takes the
    // Trino grammar's error recovery over a minute on a loaded machine, for the same verdict.
    const call = /REGEXP_[A-Z_]+\(\w+, r'[^']*'\)/.exec(bigquery)?.[0];
    expect(call).toBeDefined();
    // Trino's grammar reads r'...' as a literal of a type named r (like DATE '...'), which only its
    // analyzer refuses; node-sql-parser refuses it outright.
    const problems = trinoProblems(`SELECT ${call} AS x FROM dskit_source`);
    expect(problems.some((p) => p.startsWith('node-sql-parser'))).toBe(true);
  });

  test('functions Trino lacks: DuckDB\'s regexp_matches, BigQuery\'s REGEXP_CONTAINS', () => {
    for (const foreign of ['regexp_matches', 'REGEXP_CONTAINS']) {
      const called = calledFunctions(sql.replace(/regexp_like\(/g, `${foreign}(`));
      expect(called.filter((f) => !TRINO_FUNCTIONS.has(f))).toEqual([foreign.toLowerCase()]);
    }
  });
});
