/**
 * Streams the lines of exported event files, one file after another: plain or gzip (detected by
 * content, not by name, since exports get renamed), with a read error naming the file.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';

/** Why a file could not be read, naming the file. */
export class EventFileError extends Error {
  override name = 'EventFileError';
}

export interface ReadProgress {
  readonly file: string;
  readonly filesDone: number;
  readonly files: number;
  readonly bytesDone: number;
  readonly bytes: number;
  readonly lines: number;
}

export interface ReadOptions {
  /** Called at most every `progressEveryMs` while reading (never for reads quicker than that). */
  readonly onProgress?: (p: ReadProgress) => void;
  /** @default 1000 */
  readonly progressEveryMs?: number;
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const magic = Buffer.alloc(2);
    return fs.readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Calls `onLine` for every line of every file, in order; resolves to the number of lines read. */
export async function readLines(files: readonly string[], onLine: (text: string) => void, opts: ReadOptions = {}): Promise<number> {
  const every = opts.progressEveryMs ?? 1000;
  const sizes = files.map((f) => {
    try {
      return fs.statSync(f).size;
    } catch (err) {
      throw new EventFileError(`${f}: cannot read (${(err as Error).message})`);
    }
  });
  const bytes = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  let lines = 0;
  let lastReport = Date.now();
  for (const [index, file] of files.entries()) {
    let gzipped: boolean;
    try {
      gzipped = isGzip(file);
    } catch (err) {
      throw new EventFileError(`${file}: cannot read (${(err as Error).message})`);
    }
    const raw = fs.createReadStream(file);
    const input = gzipped ? raw.pipe(zlib.createGunzip()) : raw;
    const failed = new Promise<never>((_, reject) => {
      const fail = (err: Error) => reject(new EventFileError(`${file}: ${gzipped ? 'not a readable gzip file' : 'cannot read'} (${err.message})`));
      raw.on('error', fail);
      input.on('error', fail);
    });
    failed.catch(() => undefined);
    const consume = (async () => {
      for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
        lines += 1;
        onLine(text);
        if (opts.onProgress && (lines & 0x3ff) === 0 && Date.now() - lastReport >= every) {
          lastReport = Date.now();
          opts.onProgress({ file, filesDone: index, files: files.length, bytesDone: bytesBefore + raw.bytesRead, bytes, lines });
        }
      }
    })();
    await Promise.race([consume, failed]);
    bytesBefore += sizes[index];
  }
  return lines;
}
