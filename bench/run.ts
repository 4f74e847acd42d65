/**
 * `npm run bench`: every benchmark in bench/, in order, printing numbers and ratios.
 * Speed is measured here, never in tests. `npm run bench -- synth` runs only the named ones.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Benchmark {
  readonly name: string;
  readonly run: () => Promise<void>;
}

async function main() {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  for (const file of files) {
    const bench: Benchmark = require(path.join(__dirname, file)).benchmark;
    if (only.length > 0 && !only.includes(bench.name)) continue;
    console.log(`\n## ${bench.name} (${file})`);
    await bench.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
