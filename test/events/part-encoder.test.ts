/**
 * The WebAssembly part encoder (lib/events/wasm/encoder.ts) writes every Parquet part byte for
 * byte as PartWriter's TypeScript encoder does (which parquet.test.ts reads back through DuckDB):
 * text columns of 1, 2, 3, 256, 257 and tens of thousands of members (bit widths 1 to 17), all
 * NULL or none; integers negative, -0 and near 2^53, and beyond it (exact); times before 1970,
 * with halves of a millisecond (to even) and to the hour; row counts that are not a multiple of 8.
 * Two texts that read the same once decoded (invalid UTF-8) still share a member.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Dictionary } from '../../lib/events/dictionary';
import { INTEGER_COLUMNS, TEXT_COLUMNS, newBatch, type EventBatch } from '../../lib/events/scan';
import { PartWriter } from '../../lib/events/store';

/** A pseudo-random sequence in [0, 1), the same every run. */
function sequence(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Batches of `rows` rows whose columns cover what the encoder must get right. */
function batches(dictionary: Dictionary, rows: number, seed: number): EventBatch[] {
  const random = sequence(seed);
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => dictionary.internString(`${prefix}-${i}`));
  // Member counts per text column (cycled over TEXT_COLUMNS): widths 1, 1, 2, 8, 9, 17; one column all NULL, one never.
  const pools = [ids('one', 1), ids('two', 2), ids('three', 3), ids('b', 256), ids('c', 257), ids('many', 70_000), [], ids('full', 5)];
  const out: EventBatch[] = [];
  for (let at = 0; at < rows; ) {
    const n = Math.min(2048, rows - at);
    const batch = newBatch(n);
    TEXT_COLUMNS.forEach((column, c) => {
      const pool = pools[c % pools.length];
      const nullEvery = c % pools.length === 7 ? 0 : 2 + (c % 5);
      for (let r = 0; r < n; r++) {
        const row = at + r;
        const isNull = pool.length === 0 || (nullEvery > 0 && (row % nullEvery === 0 || random() < 0.05));
        // The many-members column takes a new member most rows, so a large part passes 2^16 members.
        batch.text[column][r] = isNull ? 0 : pool.length === 70_000 ? pool[row % pool.length] : pool[Math.floor(random() * pool.length)];
      }
    });
    INTEGER_COLUMNS.forEach((column, c) => {
      for (let r = 0; r < n; r++) {
        const k = (at + r + c) % 9;
        batch.integer[column][r] = k === 0 ? Number.NaN : k === 1 ? -0 : k === 2 ? -(at + r) * 1_000_003 : k === 3 ? 2 ** 53 - 1 - r : k === 4 ? -(2 ** 53) + 1 : Math.floor(random() * 65536);
      }
    });
    for (let r = 0; r < n; r++) {
      const k = (at + r) % 7;
      const day = (at + r - rows / 2) * 86_400_123;
      batch.eventMs[r] = k === 0 ? Number.NaN : k === 1 ? day + 0.5 : k === 2 ? day + 1.5 : k === 3 ? -day - 2.5 : k === 4 ? day + 0.25 : k === 5 ? -3_599_999.5 : day;
    }
    batch.rows = n;
    out.push(batch);
    at += n;
  }
  return out;
}

describe('the WebAssembly part encoder', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-part-encoder-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The part both encoders write from the same batches, as bytes. */
  function bothParts(dictionary: Dictionary, input: readonly EventBatch[], name: string): { wasm: Buffer; js: Buffer; wasmFile: string } {
    const files = { wasm: path.join(dir, `${name}-wasm.parquet`), js: path.join(dir, `${name}-js.parquet`) };
    for (const encoder of ['wasm', 'js'] as const) {
      const writer = new PartWriter(dictionary, { encoder });
      for (const batch of input) writer.append(batch);
      expect(writer.writePart(files[encoder])).toBe(input.reduce((n, b) => n + b.rows, 0));
    }
    return { wasm: fs.readFileSync(files.wasm), js: fs.readFileSync(files.js), wasmFile: files.wasm };
  }

  it.each([1, 7, 8, 9, 4099, 70_001])('writes a part of %i rows byte for byte as the TypeScript encoder', (rows) => {
    const dictionary = new Dictionary();
    const { wasm, js } = bothParts(dictionary, batches(dictionary, rows, rows), `rows-${rows}`);
    expect(wasm.length).toBe(js.length);
    expect(wasm.equals(js)).toBe(true);
  });

  it('writes several parts in a row the same (its memory reused, the member table cleared between columns)', () => {
    const dictionary = new Dictionary();
    const writers = { wasm: new PartWriter(dictionary), js: new PartWriter(dictionary, { encoder: 'js' }) };
    for (const [i, rows] of [5000, 70_001, 3, 20_000].entries()) {
      const input = batches(dictionary, rows, 100 + i);
      const bytes = Object.entries(writers).map(([kind, writer]) => {
        for (const batch of input) writer.append(batch);
        const file = path.join(dir, `series-${i}-${kind}.parquet`);
        writer.writePart(file);
        return fs.readFileSync(file);
      });
      expect(bytes[0].equals(bytes[1])).toBe(true);
    }
  });

  it('gives two texts that read the same (invalid UTF-8) one member, and writes integers beyond 2^53 exactly', async () => {
    const dictionary = new Dictionary();
    const input = batches(dictionary, 3000, 7);
    const replaced = [dictionary.intern(Buffer.from([0x61, 0xff]), 0, 2), dictionary.intern(Buffer.from([0x61, 0xfe]), 0, 2)];
    expect(new Set(replaced.map((id) => dictionary.text(id))).size).toBe(1);
    const act = input[0].text.act;
    for (let r = 0; r < 100; r++) act[r] = replaced[r % 2];
    input[0].exact.set('signature_id:5', 2n ** 60n + 7n);
    input[0].integer.signature_id[5] = Number.NaN;
    const { wasm, js, wasmFile } = bothParts(dictionary, input, 'replaced');
    expect(wasm.equals(js)).toBe(true);
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const conn = await instance.connect();
      const rows = (await conn.runAndReadAll(`SELECT count(DISTINCT act) FILTER (WHERE act LIKE 'a%'), max(signature_id)::VARCHAR FROM read_parquet('${wasmFile}')`)).getRowsJS();
      expect(rows).toEqual([[1n, (2n ** 60n + 7n).toString()]]);
      conn.closeSync();
    } finally {
      instance.closeSync();
    }
  });
});
