/**
 * Synth wall time of each app against the floor of an empty app of the same framework,
 * alternating runs so drift hits both alike. Target: each app within 1.5x its floor.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Benchmark } from './run';
import { fmt, median, timeCommand } from './stats';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TSX = require.resolve('tsx/cjs');

function measure(label: string, entry: string, floorEntry: string, outVar: string) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-bench-'));
  const env = { ...process.env, [outVar]: out, DSKIT_CONFIG: path.join(ROOT, 'sandbox.example.yaml'), CHECKPOINT_DISABLE: '1' };
  const app: number[] = [];
  const floor: number[] = [];
  const run = (file: string) => timeCommand(process.execPath, ['--require', TSX, path.join(ROOT, file)], { cwd: out, env });
  run(entry); // warm the file cache once
  run(floorEntry);
  for (let i = 0; i < RUNS; i++) {
    app.push(run(entry));
    floor.push(run(floorEntry));
  }
  fs.rmSync(out, { recursive: true, force: true });
  const ratio = median(app) / median(floor);
  console.log(
    `${label.padEnd(5)} app ${fmt(median(app))}  floor ${fmt(median(floor))}  ratio ${ratio.toFixed(2)}x  ` +
      `(median of ${RUNS}; target <= 1.50x: ${ratio <= 1.5 ? 'met' : 'MISSED'})`,
  );
}

export const benchmark: Benchmark = {
  name: 'synth',
  run: async () => {
    measure('aws', 'bin/aws.ts', 'bench/floor/empty-cdk.ts', 'CDK_OUTDIR');
    // The app turns aws-cdk-lib's built-in CloudFormation validation off (the tests run it); an
    // empty app with the same setting shows what the sandbox itself costs.
    measure('aws*', 'bin/aws.ts', 'bench/floor/empty-cdk-unvalidated.ts', 'CDK_OUTDIR');
    measure('gcp', 'bin/gcp.ts', 'bench/floor/empty-cdktf.ts', 'CDKTF_OUTDIR');
  },
};
