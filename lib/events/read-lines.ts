/**
 * Reads exported event files (or standard input) as bytes, one source after another: plain or
 * gzip (detected by content, not by name, since exports get renamed; concatenated gzip members,
 * as Firehose may write, included), in bounded memory whatever the size: lines longer than the
 * limit are skipped and counted, not buffered, and a gzip stream that inflates beyond all reason
 * is stopped. Read errors name the source.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { STDIN } from './inputs';

/** Why a source could not be read, naming it. */
export class EventFileError extends Error {
  override name = 'EventFileError';
}

/** The longest line read (DS's syslog messages are at most 64 KB). @default 1 MiB */
export const MAX_LINE_BYTES = 1 << 20;
/** A gzip source may inflate to at most this many times its size (or 1 GiB, if more). */
export const MAX_INFLATE_RATIO = 200;

export interface ReadProgress {
  readonly file: string;
  readonly filesDone: number;
  readonly files: number;
  /** Bytes read from the sources (compressed bytes for gzip), and their total (0 when unknown: stdin). */
  readonly bytesDone: number;
  readonly bytes: number;
  readonly lines: number;
}

export interface ReadOptions {
  /** Called at most every `progressEveryMs` while reading. */
  readonly onProgress?: (p: ReadProgress) => void;
  /** @default 1000 */
  readonly progressEveryMs?: number;
  /** @default MAX_LINE_BYTES */
  readonly maxLineBytes?: number;
  /** Standard input, when a source is `-` (tests pass their own). @default process.stdin */
  readonly stdin?: NodeJS.ReadableStream;
  /** A gzip source may always inflate to this much, whatever its ratio. @default 1 GiB */
  readonly inflateFloorBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

const READ_CHUNK = 1 << 20;

/** Why `name` could not be read. */
function cannotRead(name: string, err: unknown): EventFileError {
  return new EventFileError(`${name}: cannot read (${(err as Error).message})`);
}

/**
 * The decompressed bytes of one source, in chunks (up to `endByte`, exclusive, when given);
 * `counted(n)` learns how many raw bytes were read. A chunk is valid until the next is asked for:
 * a plain file is read into one reused buffer (a fresh megabyte per read made V8 collect its
 * heap every few dozen megabytes, for the memory outside it).
 */
export async function* sourceBytes(source: string, opts: ReadOptions & { counted?: (rawBytes: number) => void; endByte?: number } = {}): AsyncGenerator<Buffer> {
  // Positional reads need a regular file (asked of the path: opening a pipe would take its data).
  if (source !== STDIN && (await fs.promises.stat(source).catch(() => null))?.isFile()) {
    const plain = await plainFileChunks(source, opts);
    if (plain !== null) {
      yield* plain;
      return;
    }
  }
  yield* streamedBytes(source, opts);
}

/** A plain (not gzip) regular file's chunks, read into one reused buffer; null for a gzip file. */
async function plainFileChunks(source: string, opts: { counted?: (rawBytes: number) => void; endByte?: number }): Promise<AsyncGenerator<Buffer> | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(source, 'r');
  } catch (err) {
    throw cannotRead(source, err);
  }
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  const end = opts.endByte ?? Infinity;
  const read = async (at: number) => {
    try {
      return (await handle.read(buf, 0, Math.min(READ_CHUNK, end - at), at)).bytesRead;
    } catch (err) {
      throw cannotRead(source, err);
    }
  };
  let first: number;
  try {
    first = end > 0 ? await read(0) : 0;
  } catch (err) {
    // read() already named the file.
    await handle.close();
    throw err;
  }
  if (first >= 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1]) {
    await handle.close();
    return null;
  }
  return (async function* chunks() {
    try {
      let at = 0;
      let n = first;
      while (n > 0) {
        at += n;
        opts.counted?.(n);
        yield buf.subarray(0, n);
        n = at < end ? await read(at) : 0;
      }
    } finally {
      await handle.close();
    }
  })();
}

async function* streamedBytes(source: string, opts: ReadOptions & { counted?: (rawBytes: number) => void; endByte?: number }): AsyncGenerator<Buffer> {
  const name = source === STDIN ? 'standard input' : source;
  let raw: NodeJS.ReadableStream;
  try {
    raw = source === STDIN ? (opts.stdin ?? process.stdin) : fs.createReadStream(source, { highWaterMark: 1 << 20, end: opts.endByte === undefined ? undefined : opts.endByte - 1 });
  } catch (err) {
    throw cannotRead(name, err);
  }
  let rawBytes = 0;
  let inflated = 0;
  let gunzip: zlib.Gunzip | null = null;
  let first = true;
  const pending: Buffer[] = [];
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const fail = (err: Error, gz: boolean) => {
    failure ??= new EventFileError(`${name}: ${gz ? 'not a readable gzip file' : 'cannot read'} (${err.message})`);
    notify();
  };
  const push = (b: Buffer) => {
    pending.push(b);
    notify();
  };
  raw.on('data', (chunk: Buffer) => {
    rawBytes += chunk.length;
    opts.counted?.(chunk.length);
    if (first) {
      first = false;
      if (chunk.length >= 2 && chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
        gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
        gunzip.on('data', (out: Buffer) => {
          inflated += out.length;
          if (inflated > Math.max(opts.inflateFloorBytes ?? 1 << 30, MAX_INFLATE_RATIO * rawBytes)) {
            fail(new Error(`it inflates to more than ${MAX_INFLATE_RATIO} times its size; refusing to read on (decompress it yourself if it is genuine)`), true);
            (raw as fs.ReadStream).destroy?.();
            gunzip?.destroy();
            return;
          }
          push(out);
        });
        gunzip.on('error', (err) => fail(err, true));
        gunzip.on('end', () => {
          done = true;
          notify();
        });
      }
    }
    if (gunzip) {
      if (!gunzip.write(chunk)) {
        raw.pause();
        gunzip.once('drain', () => raw.resume());
      }
    } else push(chunk);
    if (pending.length > 8) raw.pause();
  });
  raw.on('error', (err) => fail(err, false));
  raw.on('end', () => {
    if (gunzip) gunzip.end();
    else {
      done = true;
      notify();
    }
  });
  while (true) {
    if (failure) throw failure;
    const next = pending.shift();
    if (next) {
      if (pending.length <= 2) raw.resume();
      yield next;
      continue;
    }
    if (done) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/**
 * Splits bytes into lines, handing each to `onLine(buf, start, end)` (end excludes the LF; the
 * buffer is reused after the call returns). Returns the number of lines skipped as too long.
 */
export class LineSplitter {
  private buf: Buffer;
  private used = 0;
  private skipping = false;
  tooLong = 0;

  constructor(
    private readonly onLine: (buf: Buffer, start: number, end: number) => void,
    private readonly maxLine: number = MAX_LINE_BYTES,
    /** Called with each batch of complete lines before they are handed out, e.g. to prepare a scanner. */
    private readonly onBuffer?: (buf: Buffer, end: number) => void,
    /**
     * Reads a batch of complete lines buf[0, end) itself, handing `line` the ones it leaves
     * (which then go to onLine, or count as too long): the scanner's WebAssembly fast path.
     */
    private readonly readBlock?: (buf: Buffer, end: number, line: (start: number, end: number) => void) => void,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(4 << 20, maxLine * 2));
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skipping) {
        const nl = chunk.indexOf(10, offset);
        if (nl < 0) return;
        this.skipping = false;
        offset = nl + 1;
        continue;
      }
      const room = this.buf.length - this.used;
      const take = Math.min(room, chunk.length - offset);
      chunk.copy(this.buf, this.used, offset, offset + take);
      this.used += take;
      offset += take;
      this.drain(false);
    }
  }

  /** The last line, when the input does not end with a line break. */
  end(): void {
    this.drain(true);
  }

  private drain(final: boolean): void {
    const buf = this.buf;
    const used = this.used;
    if (used === 0) return;
    let last = buf.lastIndexOf(10, used - 1);
    if (final && used > 0 && last < used - 1) {
      buf[used] = 10;
      last = used;
      this.used = used + 1;
    }
    if (last >= 0) {
      this.onBuffer?.(buf, last + 1);
      const line = (s: number, nl: number) => {
        if (nl - s > this.maxLine) this.tooLong += 1;
        else this.onLine(buf, s, nl);
      };
      if (this.readBlock) this.readBlock(buf, last + 1, line);
      else {
        let s = 0;
        while (s <= last) {
          const nl = buf.indexOf(10, s);
          line(s, nl);
          s = nl + 1;
        }
      }
      const rest = this.used - (last + 1);
      buf.copy(buf, 0, last + 1, this.used);
      this.used = rest;
    }
    if (this.used > this.maxLine) {
      // A line longer than the limit: drop what we have and skip to its end.
      this.tooLong += 1;
      this.used = 0;
      this.skipping = true;
    }
  }
}

/** Calls `onLine` with every line (as text) of every source, in order; resolves to the number of lines read. */
export async function readLines(files: readonly string[], onLine: (text: string) => void, opts: ReadOptions = {}): Promise<number> {
  const every = opts.progressEveryMs ?? 1000;
  const sizes = files.map((f) => {
    if (f === STDIN) return 0;
    try {
      return fs.statSync(f).size;
    } catch (err) {
      throw cannotRead(f, err);
    }
  });
  const bytes = sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  let lines = 0;
  let lastReport = Date.now();
  for (const [index, file] of files.entries()) {
    const splitter = new LineSplitter((buf, s, e) => {
      lines += 1;
      onLine(buf.toString('utf8', s, e > s && buf[e - 1] === 13 ? e - 1 : e));
      if (opts.onProgress && (lines & 0x3ff) === 0 && Date.now() - lastReport >= every) {
        lastReport = Date.now();
        opts.onProgress({ file, filesDone: index, files: files.length, bytesDone, bytes, lines });
      }
    }, opts.maxLineBytes);
    for await (const chunk of sourceBytes(file, { ...opts, counted: (n) => (bytesDone += n) })) splitter.push(chunk);
    splitter.end();
  }
  return lines;
}
