/**
 * Boot-script happy path, wall time minus the package install, against the 15 s fixed sleep the
 * official deployment script spends between install and activation. Runs the rendered GCP Linux
 * script in the e2e rootfs against the test doubles (needs root, like test/agent's e2e tests).
 * The stand-in agent takes 2 s to become ready after install: polling waits that long, the
 * official script always 15 s.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findVm, renderBootScript } from '../lib/agent';
import { configWith } from '../test/helpers/config';
import { buildAssets, MANAGER_HOST } from '../test/agent/support/assets';
import { BootScriptCase, e2eSkipReason, TENANT_NUMERIC_ID, TOKEN_SECRET } from '../test/agent/support/harness';
import type { Benchmark } from './run';
import { fmt, median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OFFICIAL_FIXED_SLEEP_S = 15;

export const benchmark: Benchmark = {
  name: 'agent',
  run: async () => {
    const skip = e2eSkipReason();
    if (skip) {
      console.log(`skipped: ${skip}`);
      return;
    }
    const assets = buildAssets(fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-bench-agent-')));
    const config = configWith((raw) => {
      raw.manager = {
        type: 'dsm',
        url: `https://${MANAGER_HOST}:4119`,
        activationUrl: `dsm://${MANAGER_HOST}:4120/`,
        tenantId: '11111111-2222-3333-4444-555555555555',
        tenantNumericId: TENANT_NUMERIC_ID,
        activationTokenSecret: TOKEN_SECRET,
      };
      raw.gcp.project = 'dskit-e2e-project';
      raw.gcp.vms = [{ name: 'web', os: 'debian-12' }];
    });
    const script = renderBootScript(config, findVm(config, 'gcp', 'web'), 1, {
      cloud: 'gcp',
      project: 'dskit-e2e-project',
      logName: 'ds-events',
      signingKey: assets.signingKeyArmored,
    }).script;
    const totals: number[] = [];
    const installs: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const c = new BootScriptCase({ assets, token: `BENCH-${i}-0000-0000`, packageFile: assets.signedDeb, managerUpAfterMs: 0 });
        await c.start();
        try {
          const run = await c.run(script);
          if (run.code !== 0) throw new Error(`boot script failed:\n${run.output}`);
          totals.push(run.seconds);
        } finally {
          await c.stop();
        }
        // The install alone, in a fresh rootfs, to subtract it.
        const d = new BootScriptCase({ assets, token: 'unused-token', packageFile: assets.signedDeb, managerUpAfterMs: 0 });
        await d.start();
        try {
          fs.copyFileSync(assets.signedDeb, path.join(d.root, 'root/agent.deb'));
          const run = await d.run('#!/bin/bash\nset -e\ndpkg -i /root/agent.deb >/dev/null\n');
          if (run.code !== 0) throw new Error(`dpkg -i failed:\n${run.output}`);
          installs.push(run.seconds);
        } finally {
          await d.stop();
        }
      }
    } finally {
      fs.rmSync(assets.dir, { recursive: true, force: true });
    }
    const total = median(totals);
    const install = median(installs);
    const rest = total - install;
    console.log(
      `boot script ${fmt(total)}  package install ${fmt(install)}  script minus install ${fmt(rest)}  ` +
        `official fixed sleep alone ${fmt(OFFICIAL_FIXED_SLEEP_S)}  ratio ${(rest / OFFICIAL_FIXED_SLEEP_S).toFixed(2)}x  (median of ${RUNS})`,
    );
  },
};
