/**
 * The whole teardown flow in-process, with the stack destroyer and leftover listers replaced
 * (no cloud here): order of steps, what is asked for, and the exit code from the leftovers.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Cloud } from '../../lib/config';
import { destroyCommand, type DestroyRequest, type Leftover } from '../../lib/cloud';
import { CommandContext } from '../../lib/cli/context';
import { runTeardown, type TeardownDeps } from '../../lib/cli/commands/teardown';
import { recordChange } from '../../lib/context';
import { FakeManagerApi } from '../fixtures/fake-manager-api/server';
import { REPO_ROOT } from '../helpers/cli';
import { API_KEY, sandboxRaw } from './harness';

interface Run {
  code: number;
  err: string[];
  out: string[];
  destroyed: DestroyRequest[];
  asked: string[];
}

describe('teardown flow', () => {
  let fake: FakeManagerApi;
  let url: string;
  let dir: string;
  let policyId: number;
  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: API_KEY });
    url = await fake.start();
    policyId = fake.addPolicy({ name: 'Linux Server' });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-teardown-'));
    fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(sandboxRaw(policyId)));
    fake.computers.clear();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(() => fake.stop());

  async function teardown(
    opts: { cloud?: string; yes?: boolean; managerOnly?: boolean },
    fakes: { leftovers?: Partial<Record<Cloud, Leftover[]>>; destroyFails?: Cloud[]; answer?: boolean | 'no-tty' } = {},
  ): Promise<Run> {
    const run: Run = { code: -1, err: [], out: [], destroyed: [], asked: [] };
    const deps: TeardownDeps = {
      destroyStack: async (req) => {
        run.destroyed.push(req);
        const ok = !fakes.destroyFails?.includes(req.cloud);
        return { ok, exitCode: ok ? 0 : 1, command: destroyCommand(req.cloud, req.stackName).args.join(' ') };
      },
      listLeftovers: async (cloud) => fakes.leftovers?.[cloud] ?? [],
      confirm:
        fakes.answer === 'no-tty'
          ? undefined
          : async (q) => {
              run.asked.push(q);
              return fakes.answer === true;
            },
    };
    const ctx = new CommandContext({ managerUrl: url }, { out: (l) => run.out.push(l), err: (l) => run.err.push(l) }, { DS_API_KEY: API_KEY }, dir);
    run.code = await runTeardown(ctx, opts, deps);
    return run;
  }

  test('computers, then manager changes, then both stacks, then leftovers: clean → exit 0', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-gcp-web-1', policyID: policyId });
    const created = fake.addPolicy({ name: 'ds-eval-policy', parentID: policyId });
    recordChange('ds-eval', { kind: 'policy-created', id: created, name: 'ds-eval-policy', at: 'now' }, dir);
    const r = await teardown({ yes: true });
    expect(r.code).toBe(0);
    expect(fake.computers.has(vm)).toBe(false);
    expect(fake.policies.has(created)).toBe(false);
    expect(r.destroyed.map((d) => [d.cloud, d.stackName, d.configFile])).toEqual([
      ['aws', 'ds-eval-aws', path.join(dir, 'sandbox.yaml')],
      ['gcp', 'ds-eval-gcp', path.join(dir, 'sandbox.yaml')],
    ]);
    const order = r.err.filter((l) => /^teardown: (deleted|delete policy|destroying)/.test(l)).map((l) => l.split(' ')[1]);
    expect(order).toEqual(['deleted', 'delete', 'destroying', 'destroying']);
    expect(r.out.join('\n')).toContain('nothing tagged dskit-sandbox=ds-eval remains');
  });

  test('anything still tagged is listed and the exit code is 1', async () => {
    const left: Leftover = { cloud: 'aws', id: 'arn:aws:s3:::ds-eval-events-123', type: 's3' };
    const r = await teardown({ yes: true }, { leftovers: { aws: [left] } });
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(/1 resource\(s\) still tagged dskit-sandbox=ds-eval.*\n  aws  s3  arn:aws:s3:::ds-eval-events-123/);
  });

  test('a failed destroy is exit 1 even with no leftovers listed', async () => {
    const r = await teardown({ yes: true }, { destroyFails: ['gcp'] });
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/cdktf destroy --auto-approve ds-eval-gcp failed/);
  });

  test('asks first; "no" deletes nothing and destroys nothing', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    const r = await teardown({}, { answer: false });
    expect(r.asked).toHaveLength(1);
    expect(r.err).toContain('    ds-eval-aws-web-1 (id ' + vm + ')');
    expect(fake.computers.has(vm)).toBe(true);
    expect(r.destroyed).toEqual([]);
    expect(r.code).toBe(1);
  });

  test('no terminal and no --yes: a usage error before anything is deleted', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    await expect(teardown({}, { answer: 'no-tty' })).rejects.toThrow(/pass --yes/);
    expect(fake.computers.has(vm)).toBe(true);
  });

  test('--cloud aws leaves the gcp computers and the shared sandbox policy alone', async () => {
    const aws = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    const gcp = fake.addComputer({ displayName: 'ds-eval-gcp-web-1', policyID: policyId });
    const created = fake.addPolicy({ name: 'ds-eval-policy', parentID: policyId });
    recordChange('ds-eval', { kind: 'policy-created', id: created, name: 'ds-eval-policy', at: 'now' }, dir);
    const r = await teardown({ yes: true, cloud: 'aws' });
    expect(r.code).toBe(0);
    expect(fake.computers.has(aws)).toBe(false);
    expect(fake.computers.has(gcp)).toBe(true);
    expect(fake.policies.has(created)).toBe(true);
    expect(r.destroyed.map((d) => d.stackName)).toEqual(['ds-eval-aws']);
  });
});

test('destroy commands: cdk destroy --force / cdktf destroy --auto-approve of the sandbox stack, via local binaries', () => {
  expect(destroyCommand('aws', 'ds-eval-aws')).toEqual({ file: 'npx', args: ['--no-install', 'cdk', 'destroy', '--force', 'ds-eval-aws'] });
  expect(destroyCommand('gcp', 'ds-eval-gcp')).toEqual({ file: 'npx', args: ['--no-install', 'cdktf', 'destroy', '--auto-approve', 'ds-eval-gcp'] });
});

test('loading lib/cloud does not load the AWS SDK or google-auth-library (they load only when listing)', () => {
  const loaded = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', '-e', "require('./lib/cloud'); require('./lib/cli/commands/teardown'); console.log(Object.keys(require.cache).filter((k) => /@aws-sdk|google-auth-library/.test(k)).length)"],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  expect(loaded.trim()).toBe('0');
});
