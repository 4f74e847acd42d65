/**
 * Test-run hygiene (issue 14 item 8): temp files stay in the run's own directory, removed at its
 * end; Apps synthesize with cdk.json's flags.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { cdkJsonContext } from '../../bin/cdk-context';
const tmp = require('./tmpdir') as { setup(): Promise<void>; teardown(): Promise<void>; VARIABLE: string };

describe('test hygiene', () => {
  test('an App without an outdir writes under the run\'s temp directory, not the system one', () => {
    const runDir = process.env[tmp.VARIABLE]!;
    expect(path.basename(runDir)).toMatch(/^dskit-jest-/);
    expect(os.tmpdir()).toBe(runDir);
    expect(new App().outdir.startsWith(`${runDir}${path.sep}cdk.out`)).toBe(true);
  });

  test('teardown removes the run\'s temp directory and everything in it', async () => {
    const saved = { dir: process.env[tmp.VARIABLE], TMPDIR: process.env.TMPDIR };
    try {
      await tmp.setup();
      const dir = process.env[tmp.VARIABLE]!;
      fs.mkdirSync(path.join(dir, 'cdk.outAbC123'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'cdk.outAbC123', 'manifest.json'), '{}');
      await tmp.teardown();
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      process.env[tmp.VARIABLE] = saved.dir;
      process.env.TMPDIR = saved.TMPDIR;
    }
  });

  test('Apps get cdk.json\'s feature flags', () => {
    const app = new App();
    const flags = cdkJsonContext();
    expect(Object.keys(flags).length).toBeGreaterThan(80);
    for (const [k, v] of Object.entries(flags)) expect(app.node.tryGetContext(k)).toEqual(v);
  });
});

describe('the Debian root filesystem cache (boot-script end-to-end tests)', () => {
  const { rootfsCacheDir, rootfsCachePath } = require('../agent/support/rootfs') as typeof import('../agent/support/rootfs');

  test('lives outside the repo: DSKIT_CACHE_DIR, else the user cache', () => {
    expect(rootfsCacheDir({ DSKIT_CACHE_DIR: '/var/cache/dskit-ci' })).toBe('/var/cache/dskit-ci');
    expect(rootfsCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' })).toBe('/home/u/.cache/dskit');
    expect(rootfsCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'dskit'));
    expect(rootfsCachePath({ DSKIT_CACHE_DIR: '/var/cache/dskit-ci' })).toMatch(/^\/var\/cache\/dskit-ci\/debian12-rootfs-[0-9a-f]{12}$/);
  });
});
