/**
 * Synth memory of the GCP app: peak RSS of `bin/gcp.ts` against the floor of an empty cdktf app
 * with the Google provider, and how many modules each loads. For scale, one process that only
 * imports the @cdktf/provider-google root (what deep imports avoid). Synth time is in synth.bench.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Benchmark } from './run';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TSX = require.resolve('tsx/cjs');
const PROVIDER_ROOT = ['@cdktf', 'provider-google'].join('/');

// Preloaded into the measured process: reports its own peak RSS and loaded modules at exit.
const PROBE = `
process.on('exit', () => {
  const modules = Object.keys(require.cache);
  require('node:fs').writeFileSync(process.env.DSKIT_BENCH_PROBE_OUT, JSON.stringify({
    maxRssKb: process.resourceUsage().maxRSS,
    modules: modules.length,
    providerModules: modules.filter((m) => m.includes('@cdktf/provider-google')).length,
  }));
});
`;

interface Sample {
  readonly maxRssKb: number;
  readonly modules: number;
  readonly providerModules: number;
}

function sample(args: readonly string[], dir: string, probe: string, cwd = dir): Sample {
  const out = path.join(dir, 'probe.json');
  const r = spawnSync(process.execPath, ['--require', probe, ...args], {
    cwd,
    env: {
      ...process.env,
      CDKTF_OUTDIR: path.join(dir, 'cdktf.out'),
      DSKIT_CONFIG: path.join(ROOT, 'sandbox.example.yaml'),
      CHECKPOINT_DISABLE: '1',
      DSKIT_BENCH_PROBE_OUT: out,
    },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Sample;
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

export const benchmark: Benchmark = {
  name: 'gcp-memory',
  run: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-bench-mem-'));
    const probe = path.join(dir, 'probe.js');
    fs.writeFileSync(probe, PROBE);
    try {
      const app: Sample[] = [];
      const floor: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        process.stderr.write(`\r  run ${i + 1}/${RUNS}`);
        app.push(sample(['--require', TSX, path.join(ROOT, 'bin/gcp.ts')], dir, probe));
        floor.push(sample(['--require', TSX, path.join(ROOT, 'bench/floor/empty-cdktf.ts')], dir, probe));
      }
      process.stderr.write('\r\x1b[K');
      // In a child process only, for scale: nothing in the kit may import the package root.
      const root = sample(['-e', `require(${JSON.stringify(PROVIDER_ROOT)})`], dir, probe, ROOT);
      const rssApp = median(app.map((s) => s.maxRssKb));
      const rssFloor = median(floor.map((s) => s.maxRssKb));
      const ratio = rssApp / rssFloor;
      console.log(`gcp  peak RSS app ${mb(rssApp)}  floor ${mb(rssFloor)}  ratio ${ratio.toFixed(2)}x  (median of ${RUNS})`);
      console.log(
        `gcp  modules loaded app ${app[0].modules} (provider ${app[0].providerModules})  floor ${floor[0].modules} (provider ${floor[0].providerModules})`,
      );
      console.log(
        `gcp  for scale: importing the provider package root alone peaks at ${mb(root.maxRssKb)} with ${root.modules} modules (provider ${root.providerModules})`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
