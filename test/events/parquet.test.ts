/**
 * The parts' Parquet writer, read back by DuckDB's own reader: texts (dictionaries of 1, a few
 * hundred and thousands of members, a column of NULLs only, non-ASCII), BIGINTs (negative,
 * beyond 2^53, NULL), TIMESTAMPs (before 1970, milliseconds), row counts that are not a multiple
 * of 8, and one row.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dictionaryIndices, writeParquet, type ParquetColumn } from '../../lib/events/parquet';

/** int64 columns from (bigint | null)[]. */
function int64Column(name: string, kind: 'bigint' | 'timestamp', values: ReadonlyArray<bigint | null>): ParquetColumn {
  const present = new Uint8Array(Math.ceil(values.length / 8) + 1);
  const words = new Int32Array(values.length * 2);
  const int64 = new BigInt64Array(words.buffer);
  let count = 0;
  values.forEach((v, r) => {
    if (v === null) return;
    present[r >> 3] |= 1 << (r & 7);
    int64[count++] = v;
  });
  return { name, kind, present, values: words, count };
}

/** A text column from (string | null)[]: members in first-seen order. */
function textColumn(name: string, values: ReadonlyArray<string | null>): ParquetColumn {
  const members: string[] = [];
  const codes = new Uint32Array(values.length);
  const present = new Uint8Array(Math.ceil(values.length / 8) + 1);
  let count = 0;
  values.forEach((v, r) => {
    if (v === null) return;
    let i = members.indexOf(v);
    if (i < 0) i = members.push(v) - 1;
    codes[r] = i + 1;
    present[r >> 3] |= 1 << (r & 7);
    count++;
  });
  return { name, kind: 'text', members, present, count, indices: members.length > 0 ? dictionaryIndices(codes, values.length, count, members.length) : new Uint8Array(0) };
}

describe('Parquet parts', () => {
  let dir: string;
  let instance: DuckDBInstance;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-parquet-'));
    instance = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => {
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const readBack = async (file: string, sql: string) => {
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll(sql.replace('FILE', `'${file}'`));
      return reader.getRowsJS();
    } finally {
      conn.closeSync();
    }
  };

  it.each([1, 7, 8, 9, 1000, 5003])('reads back %i rows exactly, every column', async (rows) => {
    const few = Array.from({ length: rows }, (_, r) => (r % 5 === 0 ? null : ['Deny', 'Reset', 'IDS:Deny', 'Ünïcødé ✓'][r % 4]));
    const many = Array.from({ length: rows }, (_, r) => (r % 11 === 3 ? null : `203.0.${r % 3000 >> 8}.${r % 256}`));
    const one = Array.from({ length: rows }, () => 'CEF');
    const none = Array.from({ length: rows }, () => null);
    const integers = Array.from({ length: rows }, (_, r) => (r % 7 === 1 ? null : r % 3 === 0 ? -BigInt(r) * 1000003n : r % 13 === 2 ? 2n ** 62n + BigInt(r) : BigInt(r)));
    const times = Array.from({ length: rows }, (_, r) => (r % 9 === 4 ? null : (BigInt(r) - 500n) * 86_400_000_123n));
    const file = path.join(dir, `part-${rows}.parquet`);
    writeParquet(file, rows, [
      textColumn('few', few),
      int64Column('n', 'bigint', integers),
      textColumn('many', many),
      int64Column('t', 'timestamp', times),
      textColumn('one', one),
      textColumn('none', none),
    ]);
    const types = await readBack(file, 'SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM FILE)');
    expect(types).toEqual([
      ['few', 'VARCHAR'],
      ['n', 'BIGINT'],
      ['many', 'VARCHAR'],
      ['t', 'TIMESTAMP'],
      ['one', 'VARCHAR'],
      ['none', 'VARCHAR'],
    ]);
    const got = await readBack(file, 'SELECT few, CAST(n AS VARCHAR), many, CAST(epoch_us(t) AS VARCHAR), one, none FROM FILE');
    expect(got).toEqual(
      Array.from({ length: rows }, (_, r) => [few[r], integers[r]?.toString() ?? null, many[r], times[r]?.toString() ?? null, one[r], none[r]]),
    );
  });
});
