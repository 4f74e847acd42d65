/**
 * `cdktf deploy` waits for every agent's outcome (guest attribute dskit/status) and fails with the
 * VM's reason: the terraform_data resource in the stack, and the polling logic with fake I/O.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { chooseCredentials } from '../../lib/gcp/activation-credentials';
import { outcomeOf, validateWaitSpec, waitForActivation, type WaitIo } from '../../lib/gcp/activation-wait';
import { configWith } from '../helpers/config';
import { onlyResource, resourcesOf, synthGcp, type Synthesized } from './synth';

describe('GCP activation wait in the stack', () => {
  let s: Synthesized;
  let wait: any;
  beforeAll(() => {
    s = synthGcp(configWith((r) => (r.gcp.vms = [{ name: 'web', os: 'debian-12', count: 2 }, { name: 'win', os: 'windows-2022' }])));
    wait = onlyResource(s.tf, 'terraform_data');
  });

  test('terraform_data needs no provider download, only Terraform 1.4 or later, which the stack requires', () => {
    expect(Object.keys(s.tf.terraform.required_providers)).toEqual(['google']);
    expect(s.tf.terraform.required_version).toBe('>= 1.4');
  });

  test('runs after every instance and again when one is replaced', () => {
    const instances = Object.keys(s.tf.resource.google_compute_instance).map((k) => `google_compute_instance.${k}`);
    expect(wait.depends_on.sort()).toEqual(instances.sort());
    expect(wait.triggers_replace.instance_ids.sort()).toEqual(instances.map((i) => `\${${i}.id}`).sort());
  });

  test('polls each instance by name with node and the wait script, no shell and no secret', () => {
    const [{ 'local-exec': exec }] = wait.provisioner;
    expect(exec.interpreter[0]).toBe('node');
    expect(exec.interpreter.at(-1)).toMatch(/lib\/gcp\/activation-wait-main\.ts$/);
    expect(JSON.parse(exec.command)).toEqual({
      project: 'my-project',
      zone: 'asia-northeast1-a',
      instances: ['ds-eval-gcp-web-1', 'ds-eval-gcp-web-2', 'ds-eval-gcp-win-1'],
      timeoutMinutes: 30,
    });
  });
});

describe('GCP activation wait without VMs', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(configWith((r) => (r.gcp.vms = [])));
  });

  test('nothing to wait for', () => {
    expect(resourcesOf(s.tf, 'terraform_data')).toEqual([]);
  });
});

/** A fake clock and a script of status values per poll round. */
function fakeIo(rounds: Record<string, (string | undefined | Error)[]>) {
  let clock = 0;
  const calls: Record<string, number> = {};
  const lines: string[] = [];
  const io: WaitIo = {
    readStatus: async (instance) => {
      const i = (calls[instance] = (calls[instance] ?? 0) + 1) - 1;
      const seq = rounds[instance];
      const v = seq[Math.min(i, seq.length - 1)];
      if (v instanceof Error) throw v;
      return v;
    },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    log: (line) => lines.push(line),
  };
  return { io, lines, calls, elapsed: () => clock };
}

describe('waitForActivation', () => {
  const spec = { project: 'p-123456', zone: 'asia-northeast1-a', timeoutMinutes: 10, pollSeconds: 15 };

  test('succeeds once every VM reports activated, polling only those still pending', async () => {
    const f = fakeIo({ a: [undefined, undefined, 'activated'], b: ['activated (warning: Ops Agent repository unreachable)'] });
    const r = await waitForActivation({ ...spec, instances: ['a', 'b'] }, f.io);
    expect(r.ok).toBe(true);
    expect(f.calls).toEqual({ a: 3, b: 1 });
    expect(f.elapsed()).toBe(30_000);
    expect(f.lines.join('\n')).toMatch(/1\/2 answered; waiting for a/);
  });

  test('fails with the VM reason', async () => {
    const f = fakeIo({ a: ['activated'], b: [undefined, 'failed: manager unreachable after 5 attempts'] });
    const r = await waitForActivation({ ...spec, instances: ['a', 'b'] }, f.io);
    expect(r.ok).toBe(false);
    expect(r.outcomes.get('b')).toEqual({ state: 'failed', reason: 'manager unreachable after 5 attempts' });
    expect(f.lines.at(-1)).toBe('dskit: activation failed on b: manager unreachable after 5 attempts');
  });

  test('times out naming the silent VM and where to look; read errors are retried, not fatal', async () => {
    const f = fakeIo({ a: [new Error('403 permission denied'), undefined] });
    const r = await waitForActivation({ ...spec, instances: ['a'], timeoutMinutes: 1 }, f.io);
    expect(r.ok).toBe(false);
    expect(f.elapsed()).toBe(60_000);
    expect(f.lines.some((l) => l.includes('a: cannot read its status yet (403 permission denied); retrying'))).toBe(true);
    const outcome = r.outcomes.get('a');
    expect(outcome?.state === 'failed' && outcome.reason).toMatch(/no outcome after 1 min; .*get-serial-port-output a --zone asia-northeast1-a/);
  });

  test('outcomeOf reads the boot script values', () => {
    expect(outcomeOf(undefined)).toEqual({ state: 'pending' });
    expect(outcomeOf('activated')).toEqual({ state: 'activated', detail: 'activated' });
    expect(outcomeOf('failed: corrupt package')).toEqual({ state: 'failed', reason: 'corrupt package' });
  });

  test('a bad spec names each field', () => {
    expect(() => validateWaitSpec({ project: '', zone: 'z', instances: ['Bad'], timeoutMinutes: 0 })).toThrow(
      /project: got ""; .*instances: got \["Bad"\]; .*timeoutMinutes: got 0/,
    );
  });
});

describe('the activation wait authenticates as Terraform does', () => {
  const KEY_JSON = '{"type":"service_account","client_email":"deployer@p.iam.gserviceaccount.com","private_key":"canary-private-key"}';

  test('GOOGLE_OAUTH_ACCESS_TOKEN first, as the google provider', () => {
    const c = chooseCredentials({ GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.canary', GOOGLE_CREDENTIALS: KEY_JSON });
    expect(c.source).toEqual({ kind: 'access-token', variable: 'GOOGLE_OAUTH_ACCESS_TOKEN', token: 'ya29.canary' });
    expect(c.description).not.toContain('canary');
  });

  test('then GOOGLE_CREDENTIALS and its older names, as key JSON or a key file path', () => {
    const json = chooseCredentials({ GOOGLE_CREDENTIALS: KEY_JSON });
    expect(json.source).toMatchObject({ kind: 'credentials-json', variable: 'GOOGLE_CREDENTIALS', json: { client_email: 'deployer@p.iam.gserviceaccount.com' } });
    expect(json.description).not.toContain('canary');
    expect(chooseCredentials({ GCLOUD_KEYFILE_JSON: '/secure/deployer.json' }).source).toEqual({
      kind: 'credentials-file',
      variable: 'GCLOUD_KEYFILE_JSON',
      path: '/secure/deployer.json',
    });
  });

  test('else Application Default Credentials; impersonation applies on top of any source', () => {
    const adc = chooseCredentials({ GOOGLE_IMPERSONATE_SERVICE_ACCOUNT: 'deployer@p.iam.gserviceaccount.com' });
    expect(adc.source).toEqual({ kind: 'application-default' });
    expect(adc.impersonate).toBe('deployer@p.iam.gserviceaccount.com');
    expect(adc.description).toMatch(/Application Default Credentials .*impersonating deployer@p\.iam\.gserviceaccount\.com/);
    expect(chooseCredentials({}).impersonate).toBeUndefined();
  });

  test('a broken GOOGLE_CREDENTIALS fails the wait naming the variable, never its value', () => {
    const main = path.join(__dirname, '..', '..', 'lib', 'gcp', 'activation-wait-main.ts');
    const spec = JSON.stringify({ project: 'p', zone: 'z', instances: ['a'], timeoutMinutes: 1 });
    const env = { ...process.env, GOOGLE_CREDENTIALS: '{"private_key": canary-broken', GOOGLE_OAUTH_ACCESS_TOKEN: '' };
    const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), main, spec], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/GOOGLE_CREDENTIALS starts like JSON but does not parse; set it to a service account key file's path/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('canary');
  });
});
