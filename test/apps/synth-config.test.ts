/**
 * `dskit synth` as a newcomer runs it: each config that crashed synth with a stack trace is one
 * line and exit 2; a warning is printed once, not again by each app.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { exampleRaw } from '../helpers/config';
import { runDskit } from '../helpers/cli';

describe('dskit synth with a config the clouds would refuse', () => {
  let dir: string;
  const withConfig = (edit: (raw: Record<string, any>) => void): string => {
    const raw = exampleRaw();
    edit(raw);
    const file = path.join(dir, `c${fs.readdirSync(dir).length}.yaml`);
    fs.writeFileSync(file, stringify(raw));
    return file;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-synth-config-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['region typo', (r: any) => (r.aws.region = 'ap-northest-1'), /aws\.region: got "ap-northest-1"; .*did you mean "ap-northeast-1"\?/],
    ['mx-central-1', (r: any) => (r.aws.region = 'mx-central-1'), /aws\.region: got "mx-central-1"; is an AWS region, but/],
    ['a /30 VPC', (r: any) => (r.aws.vpcCidr = '10.60.0.0/30'), /aws\.vpcCidr: got "10\.60\.0\.0\/30"; prefix \/30 is out of range/],
    [
      'honeypot with no ports',
      (r: any) => Object.assign(r.exposure, { mode: 'honeypot', acknowledgeCloudTerms: true, honeypotPorts: [] }),
      /exposure\.honeypotPorts: got \[\]; honeypot mode needs at least one port/,
    ],
  ])('%s: one line, exit 2', (_name, edit, line) => {
    const r = runDskit(['synth', '--cloud', 'all', '--config', withConfig(edit)], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
  });

  test('a warning is printed once, by the CLI, and synth goes on', () => {
    const file = withConfig((r) => r.gcp.vms.forEach((vm: any) => (vm.count = 0)));
    const r = runDskit(['synth', '--cloud', 'gcp', '--config', file], { cwd: dir, env: { CHECKPOINT_DISABLE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/gcp\.vms: warning: no VM to deploy/g)).toHaveLength(1);
  });
});
