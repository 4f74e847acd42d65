/**
 * The WebAssembly encoder of a Parquet part's columns (source: lib/events/wasm/encoder.ts): the
 * per-row loops of PartWriter (lib/events/store.ts), which cost it as much as its scanning did
 * in TypeScript. A column is copied into the module's memory, encoded there, and what comes back
 * are views into that memory: valid until the next call, so writeParquet takes each column just
 * before it writes it.
 */
import * as path from 'node:path';
import { instantiate, type ModuleMemory } from './wasm-module';

interface EncoderExports extends ModuleMemory {
  reserve(rows: number, ids: number): void;
  inputAt(): number;
  presentAt(): number;
  membersAt(): number;
  outputAt(): number;
  presentCount(): number;
  encodeText(rows: number): number;
  packIndices(rows: number, width: number): number;
  encodeInt64(rows: number, kind: number): number;
}

/** The compiled module's file (built by `npm run build:wasm`). */
export const ENCODER_WASM = path.join(__dirname, 'wasm', 'encoder.wasm');

export interface EncodedText {
  /** The members' dictionary ids, in code order (a copy). */
  readonly memberIds: Uint32Array;
  /** Rows present. */
  readonly count: number;
  /** A bit per row, LSB first (a view). */
  readonly present: Uint8Array;
  /** The RLE_DICTIONARY values at this bit width (a view; call once, after reading the rest). */
  indices(width: number): Uint8Array;
}

export interface EncodedInt64 {
  readonly count: number;
  readonly present: Uint8Array;
  /** The present rows' int64 values, as pairs of little-endian 32-bit words (a view). */
  readonly values: Int32Array;
}

export class PartEncoder {
  private readonly x = instantiate<EncoderExports>(ENCODER_WASM);

  /** A text column's first `rows` dictionary ids (all below `idLimit`; 0 is NULL), numbered by first appearance. */
  text(ids: Uint32Array, rows: number, idLimit: number): EncodedText {
    const x = this.x;
    x.reserve(rows, idLimit);
    new Uint32Array(x.memory.buffer, x.inputAt(), rows).set(ids.subarray(0, rows));
    const members = x.encodeText(rows);
    const memory = x.memory.buffer;
    const count = x.presentCount();
    return {
      memberIds: new Uint32Array(memory, x.membersAt(), members).slice(),
      count,
      present: new Uint8Array(memory, x.presentAt(), Math.ceil(rows / 8)),
      indices: (width) => new Uint8Array(x.memory.buffer, x.outputAt(), x.packIndices(rows, width)),
    };
  }

  /** A BIGINT column's first `rows` values (NaN is NULL; every other one a safe integer). */
  bigint(values: Float64Array, rows: number): EncodedInt64 {
    return this.int64(values, rows, 0);
  }

  /** A TIMESTAMP column from event times in ms (NaN is NULL), rounded as store.ts's roundMs, or truncated to the hour. */
  time(ms: Float64Array, rows: number, hour: boolean): EncodedInt64 {
    return this.int64(ms, rows, hour ? 2 : 1);
  }

  /** kind: the module's encodeInt64 kinds (0 BIGINT, 1 TIMESTAMP, 2 TIMESTAMP to the hour). */
  private int64(doubles: Float64Array, rows: number, kind: 0 | 1 | 2): EncodedInt64 {
    const x = this.x;
    x.reserve(rows, 0);
    new Float64Array(x.memory.buffer, x.inputAt(), rows).set(doubles.subarray(0, rows));
    const count = x.encodeInt64(rows, kind);
    const memory = x.memory.buffer;
    return { count, present: new Uint8Array(memory, x.presentAt(), Math.ceil(rows / 8)), values: new Int32Array(memory, x.outputAt(), count * 2) };
  }
}
