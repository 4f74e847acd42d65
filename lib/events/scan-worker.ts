/**
 * The second core's share of a large plain file: a worker thread scans the lines of a byte range
 * (it starts just after a line break) with its own dictionary and writes its own Parquet parts,
 * which are self-contained (each part carries its texts), while the main thread scans the rest.
 * The reports then read every part together; row order means nothing to them (every report
 * orders its rows totally). Only plain files of lines are split: a gzip stream cannot be entered
 * in the middle, nor a JSON array or a CSV file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Dictionary } from './dictionary';
import type { ScannerKind } from './fast-scan';
import { SourceReader } from './load';
import { EventScanner } from './scan';
import { PART_ROWS, PartWriter } from './store';
import type { CachedSummary } from './cache';

export interface ScanRange {
  readonly file: string;
  /** Bytes [start, end) of the file: start is 0 or just after an LF. */
  readonly start: number;
  readonly end: number;
  /** Where the parts go, and the prefix of their names. */
  readonly dir: string;
  readonly prefix: string;
  readonly fallbackMs: number;
  readonly referenceMs: number;
  readonly maxLineBytes?: number;
  readonly scanner: ScannerKind;
}

/** What a scanned range adds up to: a cache entry's summary but its path (parts are file names in `dir`). */
export type ScanRangeResult = Omit<CachedSummary, 'path'>;

const READ_BYTES = 1 << 20;

/** Scans the lines of a range into parts; `onProgress` learns the bytes and lines read so far. */
export function scanRange(range: ScanRange, onProgress: (bytes: number, lines: number) => void = () => undefined): ScanRangeResult {
  const dictionary = new Dictionary();
  const writer = new PartWriter(dictionary);
  const scanner = new EventScanner({ dictionary, onBatch: (batch) => writer.append(batch) });
  const reader = new SourceReader(scanner, range.fallbackMs, range.referenceMs);
  const splitter = reader.lineSplitter(range.maxLineBytes, range.scanner);
  const parts: string[] = [];
  const writePart = () => {
    const name = `${range.prefix}${String(parts.length + 1).padStart(4, '0')}.parquet`;
    if (writer.writePart(path.join(range.dir, name)) > 0) parts.push(name);
  };
  const fd = fs.openSync(range.file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    let at = range.start;
    while (at < range.end) {
      const n = fs.readSync(fd, chunk, 0, Math.min(READ_BYTES, range.end - at), at);
      if (n === 0) break;
      at += n;
      splitter.push(chunk.subarray(0, n));
      onProgress(at - range.start, reader.lines);
      if (writer.pendingRows >= PART_ROWS) writePart();
    }
  } finally {
    fs.closeSync(fd);
  }
  splitter.end();
  scanner.flush();
  writePart();
  return { lines: reader.lines, events: reader.events, untimed: reader.untimed, tooLong: splitter.tooLong, samples: reader.samples, parts };
}

export type WorkerMessage = { readonly progress: { readonly bytes: number; readonly lines: number } } | { readonly done: ScanRangeResult } | { readonly failed: string };

/** Runs scanRange in a worker thread (TypeScript through bin/register.js, as the CLI runs). */
export function scanRangeInWorker(range: ScanRange, onProgress: (bytes: number, lines: number) => void): Promise<ScanRangeResult> {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  // The worker loads TypeScript as the CLI does (bin/register.js: tsx, dependencies as Node loads them).
  const bootstrap = `require(${JSON.stringify(path.join(__dirname, '..', '..', 'bin', 'register.js'))}); require(${JSON.stringify(path.join(__dirname, 'scan-worker.ts'))});`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: { dskitScanRange: range } });
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if ('progress' in m) onProgress(m.progress.bytes, m.progress.lines);
      else if ('done' in m) {
        settled = true;
        resolve(m.done);
      } else {
        settled = true;
        reject(new Error(m.failed));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the scanning worker stopped (exit code ${code}) before it finished ${range.file}`));
    });
  });
}

const job = (workerData as { dskitScanRange?: ScanRange } | null)?.dskitScanRange;
if (parentPort && job) {
  const port = parentPort;
  let lastProgress = 0;
  try {
    const done = scanRange(job, (bytes, lines) => {
      const now = Date.now();
      if (now - lastProgress < 100) return;
      lastProgress = now;
      port.postMessage({ progress: { bytes, lines } } satisfies WorkerMessage);
    });
    port.postMessage({ done } satisfies WorkerMessage);
  } catch (err) {
    port.postMessage({ failed: (err as Error)?.stack ?? String(err) } satisfies WorkerMessage);
  }
}
