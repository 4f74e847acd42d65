/** `manager.type: vision-one`: its keys, the packages every VM needs, and where their paths point. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../lib/config';
import { configProblems, exampleRaw } from '../helpers/config';

const visionOne = (installers: Record<string, unknown>) => ({ type: 'vision-one', region: 'jp-1', installers });

const problemsOf = configProblems;

describe('manager.type vision-one', () => {
  test('a VM whose OS and arch have no package is one error naming both and the key to set', () => {
    const problems = problemsOf((r) => {
      r.manager = visionOne({ linux: { x86_64: 'linux.tar' } });
      r.aws.vms.push({ name: 'arm', os: 'debian-12', arch: 'arm64', instanceType: 't4g.small' });
    });
    expect(problems).toEqual([
      expect.stringMatching(/^sandbox\.yaml: aws\.vms\[1\]\.os: got "windows-2022"; no Agent Installer package for windows-2022: set manager\.installers\.windows to the file \(Vision One: Endpoint Security > Endpoint Inventory > Agent Installer/),
      expect.stringMatching(/^sandbox\.yaml: aws\.vms\[2\]\.os: got "debian-12"; no Agent Installer package for debian-12 arm64: set manager\.installers\.linux\.arm64 .*Linux, ARM64 \(AArch64\)/),
      expect.stringMatching(/^sandbox\.yaml: gcp\.vms\[1\]\.os: got "windows-2022"; no Agent Installer package for windows-2022: set manager\.installers\.windows/),
    ]);
  });

  test('with every package, and VMs of count 0 needing none, it is valid', () => {
    expect(problemsOf((r) => (r.manager = visionOne({ linux: { x86_64: 'l.tar' }, windows: 'w.zip' })))).toEqual([]);
    expect(
      problemsOf((r) => {
        r.manager = visionOne({ linux: { x86_64: 'l.tar' } });
        r.aws.vms[1].count = 0;
        r.gcp.vms[1].count = 0;
      }),
    ).toEqual([]);
  });

  test('the activation keys of the other types are refused: the package carries its registration', () => {
    for (const key of ['activationTokenSecret', 'tenantId', 'tenantNumericId']) {
      const problems = problemsOf((r) => (r.manager = { ...visionOne({ linux: { x86_64: 'l.tar' }, windows: 'w.zip' }), [key]: key === 'tenantNumericId' ? 1 : 'x' }));
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^sandbox\\.yaml: manager\\.${key}: unknown key`))]);
    }
  });

  test('an unknown installer key and a bad region are errors naming the key', () => {
    expect(problemsOf((r) => (r.manager = visionOne({ linux: { x86: 'l.tar' }, windows: 'w.zip' })))).toContainEqual(
      expect.stringMatching(/^sandbox\.yaml: manager\.installers\.linux\.x86: unknown key/),
    );
    expect(problemsOf((r) => (r.manager = { ...visionOne({ linux: { x86_64: 'l.tar' }, windows: 'w.zip' }), region: 'tokyo' }))).toEqual([
      expect.stringMatching(/^sandbox\.yaml: manager\.region: got "tokyo"; must be a Server & Workload Protection region like us-1, de-1, jp-1/),
    ]);
  });

  test('package paths are from the config file\'s folder; absolute ones stay as they are', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-v1-config-'));
    try {
      const raw = exampleRaw();
      raw.manager = visionOne({ linux: { x86_64: 'installers/linux.tar' }, windows: '/opt/pkgs/windows.zip' });
      fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(raw));
      const { config } = loadConfig({ configPath: path.join(dir, 'sandbox.yaml'), cwd: '/' });
      if (config.manager.type !== 'vision-one') throw new Error('not vision-one');
      expect(config.manager.installers).toEqual({ linux: { x86_64: path.join(dir, 'installers/linux.tar'), arm64: undefined }, windows: '/opt/pkgs/windows.zip' });
      expect(config.manager.apiKeyHeader).toBe('api-secret-key');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
