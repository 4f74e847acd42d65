/**
 * A child tool's output as whole lines, for progress: a line that arrives in two chunks is told
 * once, whole, and a last line without a line break is told when its stream ends. Each stream
 * keeps its own partial line so stdout and stderr never splice into one another.
 */
import type { Readable } from 'node:stream';

/** Calls `onLine` with every non-blank line of `stream`, without its line break. */
export function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on('end', () => {
    if (pending.trim()) onLine(pending);
  });
}
