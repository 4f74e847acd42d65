/**
 * BigQuery SQL through Google's own front end: ZetaSQL, the analyzer and reference evaluator behind
 * BigQuery's GoogleSQL dialect, as the prebuilt local server the npm package
 * `@fivetrandevelopers/zetasql` ships (lib/zetasql/remote_server.so; no install script, so npm 11
 * has nothing to approve). Reusable by any test that renders BigQuery SQL:
 *
 *   const zeta = await ZetaSql.start();          // beforeAll
 *   await zeta.analyze(sql, [bigQueryTable(name, schema)]);   // throws ZetaSqlError with BigQuery's message
 *   const rows = await zeta.evaluate(sql, [{ ...table, rows }]);
 *   await zeta.stop();                           // afterAll: the server process is gone
 *
 * The server listens on 127.0.0.1 only (its first argument), on a port picked free here.
 *
 * Not modelled: BigQuery's own function families outside ZetaSQL's built-ins (NET.*, KEYS.*, ML.*,
 * ...). A query using one fails here with "Function not found"; declare it as a custom function then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ZetaSQLClient } from '@fivetrandevelopers/zetasql';
import type { LanguageFeature } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageFeature';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto';
import type { AnalyzerOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/AnalyzerOptionsProto';
import type { SimpleCatalogProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleCatalogProto';
import type { SimpleTableProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/SimpleTableProto';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto';
import type { ValueProto, ValueProto__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/ValueProto';
import type { EvaluateQueryResponse__Output } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/EvaluateQueryResponse';
import type { TableContent } from '@fivetrandevelopers/zetasql/lib/types/zetasql/local_service/TableContent';

/**
 * The language features BigQuery enables, as Google's ZetaSQL Toolkit sets them for BigQuery
 * (GoogleCloudPlatform/zetasql-toolkit, zetasql-toolkit-bigquery/.../options/BigQueryLanguageOptions.java,
 * commit 087e7993). Not every ZetaSQL feature: e.g. WITH expressions, proto types, UINT64/INT32
 * and FLOAT32 stay off, as in BigQuery. FEATURE_V_1_4_GROUP_BY_ALL is on in BigQuery too but
 * unknown to this ZetaSQL build, so GROUP BY ALL is refused here (no report uses it).
 */
export const BIGQUERY_LANGUAGE_FEATURES: readonly LanguageFeature[] = [
  // Query syntax and semantics.
  'FEATURE_ANALYTIC_FUNCTIONS',
  'FEATURE_GROUP_BY_ROLLUP',
  'FEATURE_NAMED_ARGUMENTS',
  'FEATURE_TABLESAMPLE',
  'FEATURE_TABLE_VALUED_FUNCTIONS',
  'FEATURE_TEMPLATE_FUNCTIONS',
  'FEATURE_TIMESTAMP_NANOS',
  'FEATURE_V_1_1_HAVING_IN_AGGREGATE',
  'FEATURE_V_1_1_LIMIT_IN_AGGREGATE',
  'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_AGGREGATE',
  'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_ANALYTIC',
  'FEATURE_V_1_1_ORDER_BY_IN_AGGREGATE',
  'FEATURE_V_1_1_SELECT_STAR_EXCEPT_REPLACE',
  'FEATURE_V_1_1_WITH_ON_SUBQUERY',
  'FEATURE_V_1_2_CIVIL_TIME',
  'FEATURE_V_1_2_SAFE_FUNCTION_CALL',
  'FEATURE_V_1_2_WEEK_WITH_WEEKDAY',
  'FEATURE_V_1_3_ALLOW_DASHES_IN_TABLE_NAME',
  'FEATURE_V_1_3_ALLOW_REGEXP_EXTRACT_OPTIONALS',
  'FEATURE_V_1_3_CONCAT_MIXED_TYPES',
  'FEATURE_V_1_3_DATE_ARITHMETICS',
  'FEATURE_V_1_3_DATE_TIME_CONSTRUCTORS',
  'FEATURE_V_1_3_DECIMAL_ALIAS',
  'FEATURE_V_1_3_EXTENDED_DATE_TIME_SIGNATURES',
  'FEATURE_V_1_3_EXTENDED_GEOGRAPHY_PARSERS',
  'FEATURE_V_1_3_FORMAT_IN_CAST',
  'FEATURE_V_1_3_IS_DISTINCT',
  'FEATURE_V_1_3_LIKE_ANY_SOME_ALL',
  'FEATURE_V_1_3_NULLS_FIRST_LAST_IN_ORDER_BY',
  'FEATURE_V_1_3_PIVOT',
  'FEATURE_V_1_3_QUALIFY',
  'FEATURE_V_1_3_UNNEST_AND_FLATTEN_ARRAYS',
  'FEATURE_V_1_3_UNPIVOT',
  'FEATURE_V_1_3_WITH_GROUP_ROWS',
  'FEATURE_V_1_3_WITH_RECURSIVE',
  'FEATURE_V_1_4_GROUPING_BUILTIN',
  'FEATURE_V_1_4_GROUPING_SETS',
  // Types.
  'FEATURE_BIGNUMERIC_TYPE',
  'FEATURE_GEOGRAPHY',
  'FEATURE_INTERVAL_TYPE',
  'FEATURE_JSON_TYPE',
  'FEATURE_NUMERIC_TYPE',
  'FEATURE_PARAMETERIZED_TYPES',
  // Function families.
  'FEATURE_CBRT_FUNCTIONS',
  'FEATURE_INVERSE_TRIG_FUNCTIONS',
  'FEATURE_JSON_ARRAY_FUNCTIONS',
  'FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_ROUND_WITH_ROUNDING_MODE',
  'FEATURE_TIME_BUCKET_FUNCTIONS',
  'FEATURE_V_1_3_ADDITIONAL_STRING_FUNCTIONS',
  'FEATURE_V_1_4_ARRAY_AGGREGATION_FUNCTIONS',
  'FEATURE_ANONYMIZATION',
  'FEATURE_ENCRYPTION',
  'FEATURE_V_1_3_ANNOTATION_FRAMEWORK',
  'FEATURE_V_1_3_COLLATION_SUPPORT',
  // DDL, DML and scripting.
  'FEATURE_ALLOW_MISSING_PATH_EXPRESSION_IN_ALTER_DDL',
  'FEATURE_ALTER_COLUMN_SET_DATA_TYPE',
  'FEATURE_ALTER_TABLE_RENAME_COLUMN',
  'FEATURE_CREATE_EXTERNAL_TABLE_WITH_CONNECTION',
  'FEATURE_CREATE_EXTERNAL_TABLE_WITH_PARTITION_COLUMNS',
  'FEATURE_CREATE_EXTERNAL_TABLE_WITH_TABLE_ELEMENT_LIST',
  'FEATURE_CREATE_MATERIALIZED_VIEW_CLUSTER_BY',
  'FEATURE_CREATE_MATERIALIZED_VIEW_PARTITION_BY',
  'FEATURE_CREATE_SNAPSHOT_TABLE',
  'FEATURE_CREATE_TABLE_AS_SELECT_COLUMN_LIST',
  'FEATURE_CREATE_TABLE_CLONE',
  'FEATURE_CREATE_TABLE_CLUSTER_BY',
  'FEATURE_CREATE_TABLE_COPY',
  'FEATURE_CREATE_TABLE_FIELD_ANNOTATIONS',
  'FEATURE_CREATE_TABLE_FUNCTION',
  'FEATURE_CREATE_TABLE_LIKE',
  'FEATURE_CREATE_TABLE_NOT_NULL',
  'FEATURE_CREATE_TABLE_PARTITION_BY',
  'FEATURE_CREATE_VIEW_WITH_COLUMN_LIST',
  'FEATURE_DML_UPDATE_WITH_JOIN',
  'FEATURE_FOREIGN_KEYS',
  'FEATURE_PARAMETERS_IN_GRANTEE_LIST',
  'FEATURE_UNENFORCED_PRIMARY_KEYS',
  'FEATURE_V_1_3_CASE_STMT',
  'FEATURE_V_1_3_COLUMN_DEFAULT_VALUE',
  'FEATURE_V_1_3_FOR_IN',
  'FEATURE_V_1_3_OMIT_INSERT_COLUMN_LIST',
  'FEATURE_V_1_3_REMOTE_FUNCTION',
  'FEATURE_V_1_3_REPEAT',
  'FEATURE_V_1_3_SCRIPT_LABEL',
  'FEATURE_V_1_4_REMOTE_MODEL',
];

/**
 * BigQuery's language options: external product mode (no INT32/UINT64/FLOAT/proto types), default
 * name resolution, QUALIFY reserved (as in BigQuery), and the statements a view needs.
 */
export const BIGQUERY_LANGUAGE_OPTIONS: LanguageOptionsProto = {
  productMode: 'PRODUCT_EXTERNAL',
  nameResolutionMode: 'NAME_RESOLUTION_DEFAULT',
  enabledLanguageFeatures: [...BIGQUERY_LANGUAGE_FEATURES],
  supportedStatementKinds: ['RESOLVED_QUERY_STMT', 'RESOLVED_CREATE_VIEW_STMT'],
  reservedKeywords: ['QUALIFY'],
};

const ANALYZER_OPTIONS: AnalyzerOptionsProto = {
  languageOptions: BIGQUERY_LANGUAGE_OPTIONS,
  // BigQuery's default time zone (ZetaSQL's own default is America/Los_Angeles).
  defaultTimezone: 'UTC',
  errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
};

/** A column of a BigQuery table schema, as `google_bigquery_table.schema` takes it. */
export interface BigQueryField {
  readonly name: string;
  readonly type: string;
  readonly mode?: string;
  readonly fields?: readonly BigQueryField[];
}

const SIMPLE_TYPES: Readonly<Record<string, TypeProto['typeKind']>> = {
  STRING: 'TYPE_STRING',
  BYTES: 'TYPE_BYTES',
  INTEGER: 'TYPE_INT64',
  INT64: 'TYPE_INT64',
  FLOAT: 'TYPE_DOUBLE',
  FLOAT64: 'TYPE_DOUBLE',
  NUMERIC: 'TYPE_NUMERIC',
  BIGNUMERIC: 'TYPE_BIGNUMERIC',
  BOOLEAN: 'TYPE_BOOL',
  BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  DATE: 'TYPE_DATE',
  TIME: 'TYPE_TIME',
  DATETIME: 'TYPE_DATETIME',
  GEOGRAPHY: 'TYPE_GEOGRAPHY',
  JSON: 'TYPE_JSON',
};

/** The ZetaSQL type of a BigQuery schema column: RECORD is a STRUCT, REPEATED an ARRAY. */
export function zetaTypeOf(field: BigQueryField): TypeProto {
  const type = field.type.toUpperCase();
  let element: TypeProto;
  if (type === 'RECORD' || type === 'STRUCT') {
    if (!field.fields?.length) throw new Error(`${field.name}: a RECORD needs fields`);
    element = {
      typeKind: 'TYPE_STRUCT',
      structType: { field: field.fields.map((f) => ({ fieldName: f.name, fieldType: zetaTypeOf(f) })) },
    };
  } else {
    const kind = SIMPLE_TYPES[type];
    if (!kind) throw new Error(`${field.name}: BigQuery type ${field.type} is not mapped to ZetaSQL here`);
    element = { typeKind: kind };
  }
  return field.mode?.toUpperCase() === 'REPEATED' ? { typeKind: 'TYPE_ARRAY', arrayType: { elementType: element } } : element;
}

/** A JSON-ish value (strings, numbers, booleans, Dates, nested objects for RECORDs) as a ValueProto. */
export function valueOf(field: BigQueryField, value: unknown): ValueProto {
  if (value === null || value === undefined) return {};
  if (field.mode?.toUpperCase() === 'REPEATED') {
    if (!Array.isArray(value)) throw new Error(`${field.name}: REPEATED wants an array`);
    return { arrayValue: { element: value.map((v) => valueOf({ ...field, mode: 'NULLABLE' }, v)) } };
  }
  const type = field.type.toUpperCase();
  if (type === 'RECORD' || type === 'STRUCT') {
    const record = value as Record<string, unknown>;
    return { structValue: { field: (field.fields ?? []).map((f) => valueOf(f, record[f.name])) } };
  }
  switch (SIMPLE_TYPES[type]) {
    case 'TYPE_STRING':
      return { stringValue: String(value) };
    case 'TYPE_INT64':
      return { int64Value: String(value) };
    case 'TYPE_DOUBLE':
      return { doubleValue: Number(value) };
    case 'TYPE_BOOL':
      return { boolValue: Boolean(value) };
    case 'TYPE_TIMESTAMP': {
      const ms = (value instanceof Date ? value : new Date(String(value))).getTime();
      if (Number.isNaN(ms)) throw new Error(`${field.name}: not a timestamp: ${String(value)}`);
      return { timestampValue: { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 } };
    }
    default:
      throw new Error(`${field.name}: values of type ${field.type} are not supported here`);
  }
}

export type Cell = string | number | boolean | null;

/** A result cell as the offline reports print it: integers as numbers, timestamps as ISO 8601 UTC. */
function cellOf(value: ValueProto__Output): Cell {
  switch (value.value) {
    case undefined:
      return null;
    case 'int64Value':
      return Number(value.int64Value!.toString());
    case 'stringValue':
      return value.stringValue!;
    case 'boolValue':
      return value.boolValue!;
    case 'doubleValue':
      return value.doubleValue!;
    case 'timestampValue': {
      const { seconds, nanos } = value.timestampValue!;
      return new Date(Number(seconds.toString()) * 1000 + Math.floor(nanos / 1_000_000)).toISOString().replace(/\.000Z$/, 'Z');
    }
    default:
      throw new Error(`result cell of kind ${value.value} is not decoded here`);
  }
}

export interface CatalogTable {
  /** The name a query uses, e.g. `my-project.my_dataset.ds_events` (as one backquoted path). */
  readonly name: string;
  readonly schema: readonly BigQueryField[];
  /** Rows for `evaluate`: one object per row, keyed by top-level column name. */
  readonly rows?: ReadonlyArray<Record<string, unknown>>;
}

/** `bigQueryTable(name, schema)`: a catalog table from a BigQuery schema. */
export function bigQueryTable(name: string, schema: readonly BigQueryField[], rows?: CatalogTable['rows']): CatalogTable {
  return { name, schema, rows };
}

function catalogOf(tables: readonly CatalogTable[]): SimpleCatalogProto {
  const table: SimpleTableProto[] = tables.map((t) => ({ name: t.name, column: t.schema.map((f) => ({ name: f.name, type: zetaTypeOf(f) })) }));
  // The built-in functions BigQuery's features allow, no more.
  return { name: 'bigquery', table, builtinFunctionOptions: { languageOptions: BIGQUERY_LANGUAGE_OPTIONS } };
}

function contentOf(tables: readonly CatalogTable[]): Record<string, TableContent> {
  const out: Record<string, TableContent> = {};
  for (const t of tables) {
    out[t.name] = { tableData: { row: (t.rows ?? []).map((r) => ({ cell: t.schema.map((f) => valueOf(f, r[f.name])) })) } };
  }
  return out;
}

/** ZetaSQL refused the statement: `message` is its one-line error (e.g. "Syntax error: Unexpected keyword PROTO [at 3:5]"). */
export class ZetaSqlError extends Error {
  override name = 'ZetaSqlError';
}

function binaryPath(): string {
  const dir = path.join(path.dirname(require.resolve('@fivetrandevelopers/zetasql/package.json')), 'lib', 'zetasql');
  if (process.platform !== 'linux') throw new Error(`ZetaSQL: this harness runs the Linux server; this is ${process.platform}`);
  const file = path.join(dir, process.arch === 'arm64' ? 'remote_server_arm.so' : 'remote_server.so');
  if (!fs.existsSync(file)) throw new Error(`ZetaSQL: ${file} is missing; run npm ci (the server ships inside @fivetrandevelopers/zetasql)`);
  return file;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the server on `port`; resolves once it says it listens, rejects if it exits first. */
function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath(), ['127.0.0.1', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ZetaSQL server did not start within 30 s: ${output.trim()}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(`listening on 127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`ZetaSQL server exited (${signal ?? code}) before listening: ${output.trim()}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

type Api = typeof ZetaSQLClient.API;

export class ZetaSql {
  private constructor(
    private readonly child: ChildProcess,
    private readonly api: Api,
    readonly port: number,
  ) {}

  static async start(): Promise<ZetaSql> {
    let lastError: unknown;
    // A port found free can be taken before the server binds it: try another.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = await freeLoopbackPort();
      try {
        const child = await launch(port);
        // The package's client dials localhost:<port>; the server answers on 127.0.0.1 only.
        ZetaSQLClient.init(port);
        const zeta = new ZetaSql(child, ZetaSQLClient.API, port);
        const killOnExit = () => child.kill('SIGKILL');
        process.once('exit', killOnExit);
        child.once('exit', () => process.removeListener('exit', killOnExit));
        return zeta;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  private call<Req, Res>(method: keyof Api, request: Req): Promise<Res> {
    const fn = (this.api[method] as unknown as (r: Req, cb: (err: Error | null, res: Res) => void) => unknown).bind(this.api);
    return promisify(fn)(request).catch((err: { details?: string; message?: string }) => {
      throw new ZetaSqlError(err.details || err.message || String(err));
    });
  }

  /** Analyzes one statement as BigQuery would; throws ZetaSqlError with the analyzer's message. */
  async analyze(sql: string, tables: readonly CatalogTable[]): Promise<void> {
    await this.call('analyze', { options: ANALYZER_OPTIONS, simpleCatalog: catalogOf(tables), sqlStatement: sql });
  }

  /** Runs a query in ZetaSQL's reference evaluator over the tables' rows; rows keyed by output column. */
  async evaluate(sql: string, tables: readonly CatalogTable[]): Promise<Array<Record<string, Cell>>> {
    const res = await this.call<unknown, EvaluateQueryResponse__Output>('evaluateQuery', {
      sql,
      options: ANALYZER_OPTIONS,
      simpleCatalog: catalogOf(tables),
      tableContent: contentOf(tables),
    });
    const columns = res.prepared?.columns.map((c) => c.name) ?? [];
    return (res.content?.tableData?.row ?? []).map((row) => Object.fromEntries(row.cell.map((cell, i) => [columns[i], cellOf(cell)])));
  }

  /** Stops the server and waits until its process is gone. */
  async stop(): Promise<void> {
    this.api.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
}
