import { PassThrough } from 'node:stream';
import { forwardLines } from '../../lib/cloud/output-lines';

function streamed(chunks: string[]): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  forwardLines(stream, (l) => lines.push(l));
  return new Promise((resolve) => {
    stream.on('end', () => resolve(lines));
    for (const c of chunks) stream.write(c);
    stream.end();
  });
}

describe('forwardLines (synth and destroy progress)', () => {
  test('a line split across chunks is told once, whole', async () => {
    expect(await streamed(['Synthesizing st', 'ack ds-eval-aws\nDone', '\n'])).toEqual(['Synthesizing stack ds-eval-aws', 'Done']);
  });

  test('blank lines are dropped and a last line without a line break is told at the end', async () => {
    expect(await streamed(['one\n\n  \n', 'two'])).toEqual(['one', 'two']);
  });

  test('a character split between chunks stays one character', async () => {
    const arrow = Buffer.from('a → b\n');
    const stream = new PassThrough();
    const lines: string[] = [];
    forwardLines(stream, (l) => lines.push(l));
    await new Promise<void>((resolve) => {
      stream.on('end', () => resolve());
      stream.write(arrow.subarray(0, 3));
      stream.end(arrow.subarray(3));
    });
    expect(lines).toEqual(['a → b']);
  });
});
