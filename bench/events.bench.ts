/**
 * Offline event reports: `dskit events report` over a generated export (plain and gzip), against
 * the floor of `dskit --help` (start-up alone); and the in-process split between loading lines
 * and running each report's SQL, with the TypeScript parser's rate for comparison.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { REPORTS } from '../lib/events';
import { OfflineEvents } from '../lib/events/offline';
import { parseEventLine } from '../lib/events/parse';
import { SAMPLES } from '../test/events/samples';
import type { Benchmark } from './run';
import { fmt, median, timeCommand } from './stats';

const ROOT = path.resolve(__dirname, '..');
const LINES = Number(process.env.BENCH_EVENT_LINES ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function generate(dir: string): { plain: string; gz: string; lines: string[] } {
  const lines = Array.from({ length: LINES }, (_, i) => {
    const s = SAMPLES[i % SAMPLES.length];
    // vary sources and ports so the GROUP BYs have work to do
    return s.line.replace(/src=(\d+\.\d+\.\d+)\.\d+/, `src=$1.${i % 250}`).replace(/(dpt|dstPort)=\d+/, `$1=${1 + (i % 1024)}`);
  });
  const plain = path.join(dir, 'events.log');
  fs.writeFileSync(plain, lines.join('\n') + '\n');
  const gz = path.join(dir, 'events.log.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)));
  return { plain, gz, lines };
}

export const benchmark: Benchmark = {
  name: 'events',
  run: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-bench-events-'));
    try {
      const { plain, gz, lines } = generate(dir);
      const mb = (fs.statSync(plain).size / 1_048_576).toFixed(1);
      const cli = (args: string[]) => timeCommand(process.execPath, [path.join(ROOT, 'bin', 'dskit.js'), ...args], { cwd: ROOT });
      cli(['--help']);
      const floor: number[] = [];
      const reportPlain: number[] = [];
      const reportGz: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        floor.push(cli(['--help']));
        reportPlain.push(cli(['--json', 'events', 'report', '--from', plain]));
        reportGz.push(cli(['--json', 'events', 'report', '--from', gz]));
      }
      const rate = (s: number) => `${Math.round(LINES / s).toLocaleString('en-US')} lines/s`;
      console.log(`input: ${LINES.toLocaleString('en-US')} lines, ${mb} MB (median of ${RUNS})`);
      console.log(`dskit --help (start-up floor)       ${fmt(median(floor))}`);
      console.log(`dskit events report, plain          ${fmt(median(reportPlain))}  (${rate(median(reportPlain) - median(floor))} after start-up)`);
      console.log(`dskit events report, gzip           ${fmt(median(reportGz))}`);

      const db = await OfflineEvents.open();
      let t = process.hrtime.bigint();
      const seconds = () => {
        const now = process.hrtime.bigint();
        const s = Number(now - t) / 1e9;
        t = now;
        return s;
      };
      await db.loadFiles([plain]);
      console.log(`load into DuckDB                    ${fmt(seconds())}`);
      for (const r of REPORTS) {
        await db.runReport(r.id);
        console.log(`  ${r.id.padEnd(34)}${fmt(seconds())}`);
      }
      db.close();
      seconds();
      for (const line of lines) parseEventLine(line);
      const ts = seconds();
      console.log(`TypeScript parseEventLine           ${fmt(ts)}  (${rate(ts)})`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
