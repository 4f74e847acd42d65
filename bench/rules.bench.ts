/**
 * `rules promote`'s hit counting over a generated export (plain and gzip), against the floor of
 * only reading the same lines (readline, no parsing): the ratio is what parsing costs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as zlib from 'node:zlib';
import { HitCounter, countHitsInFiles } from '../lib/rules';
import type { Benchmark } from './run';
import { median } from './stats';

const LINES = Number(process.env.BENCH_EVENT_LINES ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGENT = 'CEF:0|Trend Micro|Deep Security Agent|20.0.1.690';

function line(i: number, now: number): string {
  const at = now - (i % 86_400) * 1000;
  if (i % 3 === 0) return `<134>Jun 20 10:00:00 web-1 ${AGENT}|20|Out Of Allowed Policy|5|cn1=101 cn1Label=Host ID dvchost=web-1 rt=${at} act=Deny src=203.0.113.${i % 250} dst=10.60.1.10 proto=TCP spt=40001 dpt=${i % 1024}`;
  return `<134>Jun 20 10:00:00 web-1 ${AGENT}|${1_000_000 + (i % 5000)}|rule|8|cn1=101 cn1Label=Host ID dvchost=web-1 rt=${at} act=IDS:Reset src=198.51.100.${i % 250} dst=10.60.1.10 proto=TCP spt=40000 dpt=80`;
}

async function readOnly(file: string): Promise<number> {
  const raw = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  let n = 0;
  for await (const _ of readline.createInterface({ input, crlfDelay: Infinity })) n++;
  return n;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export const benchmark: Benchmark = {
  name: 'rules',
  run: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-bench-rules-'));
    try {
      const now = Date.now();
      const plain = path.join(dir, 'events.log');
      fs.writeFileSync(plain, Array.from({ length: LINES }, (_, i) => line(i, now)).join('\n') + '\n');
      const gz = path.join(dir, 'events.log.gz');
      fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)));
      // 200 staged rules, as after a big rule update
      const queries = Array.from({ length: 200 }, (_, i) => ({ key: String(i), identifier: String(1_000_000 + i * 7), sinceMs: now - 86_400_000 }));
      const mb = (fs.statSync(plain).size / 1_048_576).toFixed(1);
      for (const [label, file] of [['plain', plain], ['gzip', gz]] as const) {
        const floor: number[] = [];
        const count: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          floor.push(await seconds(() => readOnly(file)));
          count.push(await seconds(() => countHitsInFiles([file], new HitCounter(queries))));
        }
        const f = median(floor);
        const c = median(count);
        console.log(
          `${label}: ${LINES} lines (${mb} MB plain): read only ${f.toFixed(2)} s; count hits of 200 rules ${c.toFixed(2)} s ` +
            `(${Math.round(LINES / c).toLocaleString('en-US')} lines/s, ${(c / f).toFixed(1)}x the floor)`,
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
