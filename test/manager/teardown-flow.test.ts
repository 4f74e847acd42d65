/**
 * Teardown against the fake manager: the documented flow end to end with the real app synths run
 * the way `cdk destroy` / `cdktf destroy` run them (after the manager side is gone), the order of
 * the steps, every computer of the sandbox (lowered counts, removed VMs, look-alikes left alone),
 * failures that do not stop later steps, honest leftovers, re-runs, and the prompt on a real
 * pseudo-terminal.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { Cloud } from '../../lib/config';
import { LeftoverCheckError, destroyCommand, gcpLocalStateCandidates, missingGcpState, type DestroyRequest, type DestroyResult, type Leftover } from '../../lib/cloud';
import { CommandContext } from '../../lib/cli/context';
import { askOnTerminal, runTeardown, type Answer, type TeardownDeps } from '../../lib/cli/commands/teardown';
import { contextPath, recordChange } from '../../lib/context';
import { FakeManagerApi } from '../fixtures/fake-manager-api/server';
import { DSKIT_BIN, REPO_ROOT } from '../helpers/cli';
import { API_KEY, sandboxRaw, startLab, type Lab } from './harness';

interface Run {
  code: number;
  err: string[];
  out: string[];
  destroyed: DestroyRequest[];
  asked: string[];
}

interface Fakes {
  leftovers?: Partial<Record<Cloud, Leftover[]>>;
  /** A cloud whose listing fails, with the lister's own error. */
  listingFails?: Partial<Record<Cloud, LeftoverCheckError>>;
  /** Replace the destroy of a cloud (default: succeed). */
  destroy?: (req: DestroyRequest) => Promise<DestroyResult>;
  answer?: Answer | 'no-tty';
  env?: NodeJS.ProcessEnv;
  managerUrl?: string;
}

async function teardownIn(dir: string, url: string, opts: { cloud?: string; yes?: boolean; managerOnly?: boolean }, fakes: Fakes = {}): Promise<Run> {
  const run: Run = { code: -1, err: [], out: [], destroyed: [], asked: [] };
  const deps: TeardownDeps = {
    destroyStack: async (req) => {
      run.destroyed.push(req);
      if (fakes.destroy) return fakes.destroy(req);
      return { ok: true, exitCode: 0, command: destroyCommand(req.cloud, req.stackName).args.join(' ') };
    },
    listLeftovers: async (cloud) => {
      const fail = fakes.listingFails?.[cloud];
      if (fail) throw fail;
      return fakes.leftovers?.[cloud] ?? [];
    },
    confirm:
      fakes.answer === 'no-tty'
        ? undefined
        : async (q) => {
            run.asked.push(q);
            return (fakes.answer as Answer | undefined) ?? 'no';
          },
  };
  const ctx = new CommandContext(
    { managerUrl: fakes.managerUrl ?? url },
    { out: (l) => run.out.push(l), err: (l) => run.err.push(l) },
    fakes.env ?? { DS_API_KEY: API_KEY },
    dir,
  );
  run.code = await runTeardown(ctx, opts, deps);
  return run;
}

// ---- the real app synths, the way the destroy commands run them --------------------------------

interface SynthOutcome {
  readonly cloud: Cloud;
  readonly code: number;
  readonly stderr: string;
  readonly outdir: string;
}

/**
 * What `cdk destroy` and `cdktf destroy` do before they touch a cloud: run the `app` of cdk.json /
 * cdktf.json with the variables those CLIs set (CDK_OUTDIR and CDK_CONTEXT_JSON from cdk.json's
 * context; CDKTF_OUTDIR, CDKTF_CONTEXT_JSON, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS), with
 * DSKIT_CONFIG from teardown and no API key. The app runs in the user's project directory (where
 * dskit.context.json is). The cloud calls after synth cannot run here; the synth is what broke.
 */
function synthAsDestroyRuns(projectDir: string, outcomes: SynthOutcome[]) {
  return (req: DestroyRequest): Promise<DestroyResult> => {
    const settings = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, req.cloud === 'aws' ? 'cdk.json' : 'cdktf.json'), 'utf8'));
    // The app command as configured, its script made absolute because it runs in the project dir.
    const app = String(settings.app)
      .replace('tsx/cjs', require.resolve('tsx/cjs'))
      .replace(/bin\/(aws|gcp)\.ts/, (m) => path.join(REPO_ROOT, m));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `dskit-destroy-synth-${req.cloud}-`));
    const env: NodeJS.ProcessEnv = { ...process.env, ...req.env, DSKIT_CONFIG: req.configFile };
    delete env.DS_API_KEY;
    if (req.cloud === 'aws') Object.assign(env, { CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(settings.context ?? {}) });
    else {
      Object.assign(env, {
        CDKTF_OUTDIR: outdir,
        CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: 'true',
        CDKTF_CONTEXT_JSON: JSON.stringify({ ...settings.context, cdktfRelativeModules: [] }),
      });
    }
    return new Promise((resolve) => {
      const child = spawn(app, { shell: true, cwd: projectDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      child.on('close', (code) => {
        const manifest = path.join(outdir, 'manifest.json');
        const produced = fs.existsSync(manifest) && fs.readFileSync(manifest, 'utf8').includes(`"${req.stackName}"`);
        outcomes.push({ cloud: req.cloud, code: code ?? -1, stderr, outdir });
        const ok = code === 0 && produced;
        resolve({ ok, exitCode: code ?? -1, command: `${req.cloud === 'aws' ? 'cdk' : 'cdktf'} destroy (synth only)`, ...(ok ? {} : { reason: stderr.trim().split('\n').pop() }) });
      });
    });
  };
}

/** The deploy refusal each synthesized stack carries (CloudFormation rule / Terraform precondition). */
function deployBlockersIn(outcome: SynthOutcome, stack: string): string {
  if (outcome.cloud === 'aws') {
    const t = JSON.parse(fs.readFileSync(path.join(outcome.outdir, `${stack}.template.json`), 'utf8'));
    return JSON.stringify(t.Rules ?? {});
  }
  const t = JSON.parse(fs.readFileSync(path.join(outcome.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
  return JSON.stringify(t.locals ?? {});
}

describe('the documented flow, end to end: policy ensure, policy name, resolve, rules stage, teardown + y', () => {
  let lab: Lab;
  let parentId: number;
  const outcomes: SynthOutcome[] = [];
  beforeAll(async () => {
    lab = await startLab({ maxPageSize: 2 });
    parentId = lab.fake.addPolicy({ name: 'Linux Server', intrusionPrevention: { state: 'prevent', ruleIDs: [] } });
    lab.fake.addIntrusionPreventionRule({ identifier: '1011001', name: '1011001 - new rule', originalIssue: Date.parse('2025-06-10T00:00:00Z'), lastUpdated: Date.parse('2025-06-10T00:00:00Z'), severity: 'high' });
    lab.writeConfig(sandboxRaw(parentId, (raw) => (raw.manager.verifyPackageSignature = true)));
  });
  afterAll(async () => {
    for (const o of outcomes) fs.rmSync(o.outdir, { recursive: true, force: true });
    fs.rmSync(lab.dir, { recursive: true, force: true }); // the fake manager is stopped by the last test

  });

  test('teardown destroys both stacks first (synth needs no manager), then deletes the computers, then the policy', async () => {
    expect((await lab.dskit(['policy', 'ensure', '--parent', 'Linux Server'])).code).toBe(0);
    lab.writeConfig(sandboxRaw(parentId, (raw) => {
      raw.manager.verifyPackageSignature = true;
      raw.policy = { name: 'ds-eval-policy' };
    }));
    const resolved = await lab.dskit(['policy', 'resolve']);
    expect(resolved.code).toBe(0);
    const policyId: number = lab.context().policyIds['ds-eval-policy'];
    const staged = await lab.dskit(['rules', 'stage', '--rule-ids', '1011001']);
    expect(staged.stderr + staged.stdout).not.toMatch(/error/i);
    expect(staged.code).toBe(0);
    const names = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1'];
    const computers = names.map((displayName) => lab.fake.addComputer({ displayName, policyID: policyId }));

    // Teardown, answering "y" at the real prompt function.
    const typed = new PassThrough();
    const shown = new PassThrough();
    let prompt = '';
    shown.on('data', (c) => (prompt += c));
    const order: string[] = [];
    const synth = synthAsDestroyRuns(lab.dir, outcomes);
    const ctx = new CommandContext({ managerUrl: lab.url }, { out: () => {}, err: (l) => order.push(l) }, { DS_API_KEY: API_KEY }, lab.dir);
    const answered = setTimeout(() => typed.write('y\n'), 50);
    const code = await runTeardown(ctx, {}, {
      destroyStack: async (req) => {
        order.push(`destroy ${req.cloud}`);
        expect(names.every((_, i) => lab.fake.computers.has(computers[i]))).toBe(true);
        return synth(req);
      },
      listLeftovers: async () => [],
      confirm: (q) => askOnTerminal(q, typed, shown),
    });
    clearTimeout(answered);
    expect(prompt).toBe('Proceed? [y/N] ');
    expect(outcomes.map((o) => [o.cloud, o.code])).toEqual([
      ['aws', 0],
      ['gcp', 0],
    ]);
    expect(code).toBe(0);
    const steps = order.filter((l) => /^(destroy |teardown: (deleted computer|delete policy|unassign))/.test(l)).map((l) => l.replace(/ \(id.*/, '').replace(/IPS rule .*/, 'IPS rule'));
    expect(steps).toEqual([
      'destroy aws',
      'destroy gcp',
      ...names.map((n) => `teardown: deleted computer ${n}`).sort(),
      'teardown: unassign IPS rule',
      'teardown: delete policy "ds-eval-policy"',
    ]);
    for (const id of computers) expect(lab.fake.computers.has(id)).toBe(false);
    expect(lab.fake.policies.has(policyId)).toBe(false);
    const left = lab.context();
    expect(left.policyIds?.['ds-eval-policy']).toBeUndefined();
    expect(left.changes?.['ds-eval']).toBeUndefined();
  }, 120_000);

  test('after teardown, both apps still synthesize as destroy runs them — no policy id, no API key, no signing key, manager stopped — and the deploy is refused', async () => {
    await lab.fake.stop();
    const mine: SynthOutcome[] = [];
    const synth = synthAsDestroyRuns(lab.dir, mine);
    const base = { configFile: lab.configFile, projectDir: REPO_ROOT, env: {}, onLine: () => {} };
    const config = new CommandContext({}, { out: () => {}, err: () => {} }, {}, lab.dir).config;
    expect(config.policy.name).toBe('ds-eval-policy');
    expect(fs.existsSync(path.join(REPO_ROOT, 'agents', 'keys', 'ds-agent-signing-key.asc'))).toBe(false);
    for (const cloud of ['aws', 'gcp'] as const) {
      const r = await synth({ ...base, cloud, stackName: `ds-eval-${cloud}`, config });
      outcomes.push(...mine.splice(0));
      expect(r).toMatchObject({ ok: true, exitCode: 0 });
      const outcome = outcomes[outcomes.length - 1];
      expect(outcome.stderr).not.toMatch(/no cached id|Error|at /);
      // A deploy from this synth refuses before creating anything, naming the unresolved policy.
      const blockers = deployBlockersIn(outcome, `ds-eval-${cloud}`);
      expect(blockers).toMatch(/policy\.name: \\"ds-eval-policy\\" has no cached policy id in .*dskit\.context\.json; run `npx dskit policy resolve`/);
      expect(blockers).toMatch(/no agent signing key/);
    }
  }, 120_000);
});

describe('teardown flow', () => {
  let fake: FakeManagerApi;
  let url: string;
  let dir: string;
  let policyId: number;
  const write = (edit: (raw: Record<string, any>) => void = () => {}) => fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(sandboxRaw(policyId, edit)));
  const teardown = (opts: { cloud?: string; yes?: boolean; managerOnly?: boolean }, fakes: Fakes = {}) => teardownIn(dir, url, opts, fakes);
  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: API_KEY, maxPageSize: 2 });
    url = await fake.start();
    policyId = fake.addPolicy({ name: 'Linux Server' });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-teardown-'));
    write();
    fake.computers.clear();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(() => fake.stop());

  test('a computer a stopping VM re-creates during the destroy is deleted too', async () => {
    fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    let recreated = 0;
    const r = await teardown({ yes: true }, {
      destroy: async (req) => {
        if (req.cloud === 'aws') recreated = fake.addComputer({ displayName: 'ds-eval-aws-web-2', policyID: policyId });
        return { ok: true, exitCode: 0, command: 'x' };
      },
    });
    expect(r.code).toBe(0);
    expect(fake.computers.size).toBe(0);
    expect(r.err).toContain(`teardown: deleted computer ds-eval-aws-web-2 (id ${recreated}) [2/2]`);
  });

  test('lowered counts and removed VMs: their computers are listed apart and deleted; look-alikes are left alone', async () => {
    const ours = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-web-3', 'ds-eval-aws-web-10', 'ds-eval-aws-old-1', 'ds-eval-gcp-web-1', 'ds-eval-gcp-db-2'];
    const theirs = ['ds-eval-aws-web-1-old', 'ds-eval-aws-web-01', 'ds-eval-aws-web-', 'ds-evalx-aws-web-1', 'ds-eval-aws-x-gcp-y-1', 'other-host'];
    const ids = new Map([...ours, ...theirs].map((n) => [n, fake.addComputer({ displayName: n, policyID: policyId })]));
    write((raw) => (raw.aws.vms = [{ name: 'web', os: 'amazon-linux-2023', count: 2 }]));
    const r = await teardown({ yes: true });
    expect(r.code).toBe(0);
    const plan = r.err.join('\n');
    expect(plan).toMatch(/delete 7 computer\(s\)[^\n]*:\n {6}ds-eval-aws-web-1 \(id \d+\)\n {6}ds-eval-aws-web-2 \(id \d+\)\n {6}ds-eval-gcp-web-1 \(id \d+\)\n {4}not in the config any more \(a lowered count or a removed VM\):\n/);
    for (const n of ['ds-eval-aws-web-3', 'ds-eval-aws-web-10', 'ds-eval-aws-old-1', 'ds-eval-gcp-db-2']) {
      expect(plan.split('not in the config any more')[1]).toContain(`      ${n} (id ${ids.get(n)})`);
    }
    for (const n of ours) expect(fake.computers.has(ids.get(n)!)).toBe(false);
    for (const n of theirs) expect(fake.computers.has(ids.get(n)!)).toBe(true);
  });

  test('a failed destroy does not stop the rest; the summary names it with what to do; exit 1', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-gcp-web-1', policyID: policyId });
    const created = fake.addPolicy({ name: 'ds-eval-policy', parentID: policyId });
    recordChange('ds-eval', { kind: 'policy-created', id: created, name: 'ds-eval-policy', at: 'now' }, dir);
    const r = await teardown({ yes: true }, {
      destroy: async (req) =>
        req.cloud === 'aws'
          ? { ok: false, exitCode: 1, command: 'npx --no-install cdk destroy --force ds-eval-aws' }
          : { ok: true, exitCode: 0, command: 'cdktf' },
    });
    expect(r.destroyed.map((d) => d.cloud)).toEqual(['aws', 'gcp']);
    expect(fake.computers.has(vm)).toBe(false);
    expect(fake.policies.has(created)).toBe(false);
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(
      /teardown did not finish: 1 problem\(s\):\n {2}destroy ds-eval-aws: npx --no-install cdk destroy --force ds-eval-aws exited 1 — read its output above, fix the cause, then re-run `npx dskit teardown`/,
    );
    expect(r.out.join('\n')).not.toMatch(/nothing of sandbox ds-eval remains/);
    expect(r.out.join('\n')).toContain('the listings found nothing of sandbox ds-eval in aws or gcp, but teardown did not finish (below)');
  });

  test('a failed listing: "could not check gcp: <why> — <what to do>", exit 1, never "nothing remains"', async () => {
    const r = await teardown({ yes: true }, {
      listingFails: { gcp: new LeftoverCheckError('gcp', 'the Cloud Asset API is off: it is disabled', 'enable it, then re-run `npx dskit teardown`') },
    });
    expect(r.code).toBe(1);
    const out = r.out.join('\n');
    expect(out).toContain('  could not check gcp: the Cloud Asset API is off: it is disabled — enable it, then re-run `npx dskit teardown`');
    expect(out).not.toMatch(/nothing .*remains/);
  });

  test('leftovers are listed, unlabelled ones marked as found by name; exit 1', async () => {
    const r = await teardown({ yes: true }, {
      leftovers: {
        aws: [{ cloud: 'aws', id: 'arn:aws:s3:::ds-eval-events-123', type: 's3', foundBy: 'tag' }],
        gcp: [{ cloud: 'gcp', id: '//compute.googleapis.com/projects/p/global/networks/ds-eval-net', type: 'compute.googleapis.com/Network', foundBy: 'name' }],
      },
    });
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(
      /2 resource\(s\) of sandbox ds-eval remain.*\n {2}aws {2}s3 {2}arn:aws:s3:::ds-eval-events-123\n {2}gcp {2}compute.googleapis.com\/Network {2}\/\/compute.googleapis.com\/projects\/p\/global\/networks\/ds-eval-net {2}\(found by name, unlabelled\)/,
    );
  });

  test('clean: exit 0 and "nothing of sandbox ... remains" only when every listing answered', async () => {
    const r = await teardown({ yes: true });
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toContain('nothing of sandbox ds-eval remains in aws or gcp (checked by tag/label dskit-sandbox=ds-eval and by name)');
  });

  test('no API key: the stacks are still destroyed; the manager steps are a failure with what to do; exit 1', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    const r = await teardown({ yes: true }, { env: {} });
    expect(r.destroyed.map((d) => d.stackName)).toEqual(['ds-eval-aws', 'ds-eval-gcp']);
    expect(fake.computers.has(vm)).toBe(true);
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(/delete the computers and undo the recorded manager changes: .*DS_API_KEY.* — fix that, then run `npx dskit teardown --manager-only`/);
  });

  test('manager unreachable: the stacks are still destroyed and the leftovers still listed; exit 1', async () => {
    const gone = new FakeManagerApi({ apiKey: API_KEY });
    const deadUrl = await gone.start();
    await gone.stop();
    let listed = 0;
    const r = await teardown({ yes: true }, { managerUrl: deadUrl, leftovers: {}, destroy: async () => ({ ok: true, exitCode: 0, command: 'x' }) });
    expect(r.destroyed).toHaveLength(2);
    expect(r.err.join('\n')).toMatch(/manager: cannot plan its steps: .*cannot reach the manager/);
    expect(r.code).toBe(1);
    listed = r.out.filter((l) => /the listings found nothing of sandbox/.test(l)).length;
    expect(listed).toBe(1);
  });

  test('--manager-only without an API key: exit 2 (nothing else could run)', async () => {
    await expect(teardown({ yes: true, managerOnly: true }, { env: {} })).rejects.toThrow(/DS_API_KEY/);
  });

  test('interrupted after the destroy, then re-run: the re-run finishes the job', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    const created = fake.addPolicy({ name: 'ds-eval-policy', parentID: policyId });
    recordChange('ds-eval', { kind: 'policy-created', id: created, name: 'ds-eval-policy', at: 'now' }, dir);
    // The first run dies during the GCP destroy (Ctrl-C, a crash): nothing after it ran.
    await expect(
      teardown({ yes: true }, {
        destroy: async (req) => {
          if (req.cloud === 'gcp') throw new Error('killed');
          return { ok: true, exitCode: 0, command: 'x' };
        },
      }),
    ).rejects.toThrow('killed');
    expect(fake.computers.has(vm)).toBe(true);
    // Meanwhile the policy was already deleted by hand: already gone counts as undone.
    fake.policies.delete(created);
    const again = await teardown({ yes: true });
    expect(again.code).toBe(0);
    expect(again.destroyed.map((d) => d.cloud)).toEqual(['aws', 'gcp']);
    expect(fake.computers.has(vm)).toBe(false);
    expect(again.err).toContain(`teardown: delete policy "ds-eval-policy" (id ${created}), created by dskit policy ensure: already gone`);
    expect(JSON.parse(fs.readFileSync(contextPath(dir), 'utf8')).changes?.['ds-eval']).toBeUndefined();
    // A third run has nothing left to do and says so.
    const third = await teardown({ yes: true });
    expect(third.code).toBe(0);
    expect(third.out[0]).toMatch(/deleted 0 computer\(s\); undid 0 of 0 manager change\(s\)/);
  });

  test('a damaged dskit.context.json stops teardown before anything is done (exit 2 through the CLI)', async () => {
    fs.writeFileSync(contextPath(dir), '{"changes": {"ds-eval": [{"kind": "policy-created", "id": "7", "at": "x"}]}}');
    await expect(teardown({ yes: true })).rejects.toThrow(/changes\["ds-eval"\]\[0\]\.id: got "7"; expected number/);
  });

  test('asks "Proceed?"; "no", Ctrl-C and Ctrl-D do nothing, with exits 1, 130 and 1', async () => {
    const vm = fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    for (const [answer, code] of [['no', 1], ['interrupted', 130], ['eof', 1]] as const) {
      const r = await teardown({}, { answer });
      expect(r.asked).toEqual(['Proceed?']);
      expect(r.err).toContain(`      ds-eval-aws-web-1 (id ${vm})`);
      expect(r.destroyed).toEqual([]);
      expect(fake.computers.has(vm)).toBe(true);
      expect(r.code).toBe(code);
    }
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

describe('the prompt on a real pseudo-terminal (util-linux script)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    lab.writeConfig(sandboxRaw(lab.fake.addPolicy({ name: 'Linux Server' })));
  });
  afterAll(() => lab.close());

  /** Runs `dskit teardown --manager-only` on a pty; types `keys` once "Proceed?" shows. */
  function onPty(keys: string): Promise<{ code: number; screen: string }> {
    const cmd = [process.execPath, DSKIT_BIN, '--config', lab.configFile, '--manager-url', lab.url, 'teardown', '--manager-only'].map((a) => `'${a}'`).join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: lab.dir, env: { ...process.env, DS_API_KEY: API_KEY, DSKIT_CONFIG: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      let typed = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (c) => {
        screen += c;
        if (!typed && screen.includes('Proceed? [y/N] ')) {
          typed = true;
          child.stdin.write(keys);
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, screen });
      });
    });
  }

  test('Ctrl-C at "Proceed?" exits 130 and deletes nothing', async () => {
    const id = lab.fake.addComputer({ displayName: 'ds-eval-aws-web-1' });
    const r = await onPty('\x03');
    expect(r.screen).toMatch(/teardown: nothing done \(interrupted\)/);
    expect(r.code).toBe(130);
    expect(lab.fake.computers.has(id)).toBe(true);
  }, 40_000);

  test('Ctrl-D at "Proceed?" exits 1 and deletes nothing', async () => {
    const id = lab.fake.addComputer({ displayName: 'ds-eval-aws-web-2' });
    const r = await onPty('\x04');
    expect(r.screen).toMatch(/teardown: nothing done \(no answer: end of input\)/);
    expect(r.code).toBe(1);
    expect(lab.fake.computers.has(id)).toBe(true);
  }, 40_000);

  test('"y" goes ahead', async () => {
    const id = lab.fake.addComputer({ displayName: 'ds-eval-aws-web-1' });
    const r = await onPty('y\r');
    expect(r.code).toBe(0);
    expect(lab.fake.computers.has(id)).toBe(false);
  }, 40_000);
});

describe('the GCP destroy finds its local state, or says it cannot', () => {
  const config = (stateBucket?: string) => ({ gcp: stateBucket ? { stateBucket } : {} }) as any;
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-state-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('state at the project root (where cdktf keeps it) or in the stack directory: destroy goes ahead', () => {
    const [root, old] = gcpLocalStateCandidates(dir, 'ds-eval-gcp');
    expect(root).toBe(path.join(dir, 'terraform.ds-eval-gcp.tfstate'));
    expect(old).toBe(path.join(dir, 'cdktf.out', 'stacks', 'ds-eval-gcp', 'terraform.ds-eval-gcp.tfstate'));
    fs.writeFileSync(root, '{}');
    expect(missingGcpState({ config: config(), projectDir: dir, stackName: 'ds-eval-gcp' })).toBeUndefined();
    fs.rmSync(root);
    fs.mkdirSync(path.dirname(old), { recursive: true });
    fs.writeFileSync(old, '{}');
    expect(missingGcpState({ config: config(), projectDir: dir, stackName: 'ds-eval-gcp' })).toBeUndefined();
  });

  test('no state anywhere: a failure saying cdktf destroy would destroy nothing, not a silent success', () => {
    const r = missingGcpState({ config: config(), projectDir: dir, stackName: 'ds-eval-gcp' });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/^no Terraform state for ds-eval-gcp at .*: cdktf destroy would destroy nothing$/) });
    expect(missingGcpState({ config: config('my-state-bucket'), projectDir: dir, stackName: 'ds-eval-gcp' })).toBeUndefined();
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
