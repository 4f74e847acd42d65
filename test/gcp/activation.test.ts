/**
 * `cdktf deploy` waits for every agent's outcome (guest attribute dskit/status) and fails with the
 * VM's reason: the terraform_data resource in the stack, and the polling logic with fake I/O.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chooseCredentials } from '../../lib/gcp/activation-credentials';
import { classifyReadFailure, outcomeOf, validateWaitSpec, waitForActivation, type StatusRead, type WaitIo } from '../../lib/gcp/activation-wait';
import { configWith } from '../helpers/config';
import { resourcesOf, synthGcp, type Synthesized } from './synth';

const waitOf = (s: Synthesized) => s.tf.resource.terraform_data[Object.keys(s.tf.resource.terraform_data).find((k) => k.startsWith('activation_wait'))!];
const bootScriptMarkers = (s: Synthesized) =>
  Object.fromEntries(Object.entries<any>(s.tf.resource.terraform_data).filter(([k]) => k.includes('boot-script')).map(([k, v]) => [k, v.input as string]));
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('GCP activation wait in the stack', () => {
  let s: Synthesized;
  let wait: any;
  beforeAll(() => {
    s = synthGcp(configWith((r) => (r.gcp.vms = [{ name: 'web', os: 'debian-12', count: 2 }, { name: 'win', os: 'windows-2022' }])));
    wait = waitOf(s);
  });

  test('terraform_data needs no provider download, only Terraform 1.4 or later, which the stack requires', () => {
    expect(Object.keys(s.tf.terraform.required_providers)).toEqual(['google']);
    expect(s.tf.terraform.required_version).toBe('>= 1.4');
  });

  test('runs after every instance and again when one is replaced or its boot script changes', () => {
    const instances = Object.keys(s.tf.resource.google_compute_instance).map((k) => `google_compute_instance.${k}`);
    expect(wait.depends_on.sort()).toEqual(instances.sort());
    expect(wait.triggers_replace.instance_ids.sort()).toEqual(instances.map((i) => `\${${i}.id}`).sort());
    const scripts = resourcesOf(s.tf, 'google_compute_instance').map((i) => i.metadata['startup-script'] ?? i.metadata['windows-startup-script-ps1']);
    expect(wait.triggers_replace.boot_script_sha256).toEqual(scripts.map(sha256));
  });

  test('polls each instance by name with node and the wait script, no shell and no secret, for gcp.activationTimeoutMinutes', () => {
    const [{ 'local-exec': exec }] = wait.provisioner;
    expect(exec.interpreter[0]).toBe('node');
    expect(exec.interpreter.at(-1)).toMatch(/lib\/gcp\/activation-wait-main\.ts$/);
    expect(JSON.parse(exec.command)).toEqual({
      project: 'my-project',
      zone: 'asia-northeast1-a',
      instances: ['ds-eval-gcp-web-1', 'ds-eval-gcp-web-2', 'ds-eval-gcp-win-1'],
      // The config's default.
      timeoutMinutes: 20,
    });
  });

  test('a configured gcp.activationTimeoutMinutes is the wait\'s timeout', () => {
    const longer = synthGcp(configWith((r) => (r.gcp.activationTimeoutMinutes = 45)));
    expect(JSON.parse(waitOf(longer).provisioner[0]['local-exec'].command).timeoutMinutes).toBe(45);
  });
});

describe('a changed boot script re-gates the deploy (synthesized JSON)', () => {
  let before: Synthesized;
  let policyChanged: Synthesized;
  let unrelatedChange: Synthesized;
  const withVms = (edit: (r: Record<string, any>) => void = () => {}) =>
    synthGcp(
      configWith((r) => {
        r.gcp.vms = [{ name: 'web', os: 'debian-12' }, { name: 'win', os: 'windows-2022' }];
        edit(r);
      }),
    );
  beforeAll(() => {
    before = withVms();
    policyChanged = withVms((r) => (r.policy = { id: 42 }));
    unrelatedChange = withVms((r) => (r.events.retentionDays = 90));
  });

  test('each instance is replaced when its boot-script marker changes (replace_triggered_by), Linux and Windows alike', () => {
    const markers = bootScriptMarkers(before);
    for (const [key, instance] of Object.entries<any>(before.tf.resource.google_compute_instance)) {
      const [marker] = instance.lifecycle.replace_triggered_by as string[];
      // A bare address: Terraform's JSON syntax refuses "${...}" in replace_triggered_by.
      expect(marker).toMatch(/^terraform_data\.[\w-]+$/);
      const script = instance.metadata['startup-script'] ?? instance.metadata['windows-startup-script-ps1'];
      expect(markers[marker.replace(/^terraform_data\./, '')]).toBe(sha256(script));
      expect(instance.metadata['startup-script'] ?? instance.metadata['windows-startup-script-ps1']).toBeTruthy();
      expect(key).toMatch(/^vm-ds-eval-gcp-(web|win)-1/);
    }
  });

  test('a changed setting the script carries changes every marker and the wait\'s triggers', () => {
    const a = bootScriptMarkers(before);
    const b = bootScriptMarkers(policyChanged);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k]).not.toBe(a[k]);
    expect(waitOf(policyChanged).triggers_replace.boot_script_sha256).not.toEqual(waitOf(before).triggers_replace.boot_script_sha256);
  });

  test('a change the scripts do not carry replaces nothing and does not re-run the wait', () => {
    expect(bootScriptMarkers(unrelatedChange)).toEqual(bootScriptMarkers(before));
    expect(waitOf(unrelatedChange).triggers_replace).toEqual(waitOf(before).triggers_replace);
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

type Step = string | undefined | StatusRead;

/** A fake clock and a script of reads per poll round (a string or undefined: the attribute's value). */
function fakeIo(rounds: Record<string, Step[]>) {
  let clock = 0;
  const calls: Record<string, number> = {};
  const lines: string[] = [];
  const io: WaitIo = {
    readStatus: async (instance) => {
      const i = (calls[instance] = (calls[instance] ?? 0) + 1) - 1;
      const seq = rounds[instance];
      const v = seq[Math.min(i, seq.length - 1)];
      return typeof v === 'object' ? v : { kind: 'value', value: v };
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

  test('succeeds once every VM reports activated, polling only those still pending, and says which still wait', async () => {
    const f = fakeIo({ a: [undefined, undefined, 'activated'], b: ['activated (warning: Ops Agent repository unreachable)'] });
    const r = await waitForActivation({ ...spec, instances: ['a', 'b'] }, f.io);
    expect(r.ok).toBe(true);
    expect(f.calls).toEqual({ a: 3, b: 1 });
    expect(f.elapsed()).toBe(30_000);
    expect(f.lines).toContain('dskit: 1 activated, 0 failed, 1 still waiting (0 min of 10 min): a');
  });

  test('fails with the VM reason', async () => {
    const f = fakeIo({ a: ['activated'], b: [undefined, 'failed: manager unreachable after 5 attempts'] });
    const r = await waitForActivation({ ...spec, instances: ['a', 'b'] }, f.io);
    expect(r.ok).toBe(false);
    expect(r.outcomes.get('b')).toEqual({ state: 'failed', reason: 'manager unreachable after 5 attempts' });
    expect(f.lines.at(-1)).toBe('dskit: activation failed on b: manager unreachable after 5 attempts');
  });

  test('transient read errors are retried until the timeout, which names the silent VM and where to look', async () => {
    const f = fakeIo({ a: [{ kind: 'transient', reason: 'HTTP 503 backend error' }, undefined] });
    const r = await waitForActivation({ ...spec, instances: ['a'], timeoutMinutes: 1 }, f.io);
    expect(r.ok).toBe(false);
    expect(f.elapsed()).toBe(60_000);
    expect(f.lines).toContain('dskit: a: cannot read its status yet (HTTP 503 backend error); retrying');
    const outcome = r.outcomes.get('a');
    expect(outcome?.state === 'failed' && outcome.reason).toMatch(/no outcome after 1 min \(gcp\.activationTimeoutMinutes\); .*get-serial-port-output a --zone asia-northeast1-a/);
  });

  test('a permanent error ends the wait at once, naming the VM, without waiting out the timeout', async () => {
    const denied = classifyReadFailure('b', spec.zone, { status: 403, message: "Required 'compute.instances.getGuestAttributes' permission" });
    const f = fakeIo({ a: [undefined], b: [denied], c: [undefined] });
    const r = await waitForActivation({ ...spec, instances: ['a', 'b', 'c'] }, f.io);
    expect(r.ok).toBe(false);
    expect(f.elapsed()).toBe(0);
    expect(f.calls).toEqual({ a: 1, b: 1 });
    expect(f.lines).toContain('dskit: stopped waiting: no retry can fix that; not checked: a, c');
    expect(f.lines.at(-1)).toMatch(/^dskit: activation failed on b: reading VM b's guest attributes was refused \(HTTP 403: Required 'compute\.instances\.getGuestAttributes' permission\)/);
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

describe('classifyReadFailure: which Compute Engine answers are retried', () => {
  const zone = 'asia-northeast1-a';
  test.each([
    [{ status: 429, message: 'Too Many Requests' }, 'transient'],
    [{ status: 500, message: 'Internal' }, 'transient'],
    [{ status: 503, message: 'Backend Error' }, 'transient'],
    [{ status: undefined, message: 'socket hang up' }, 'transient'],
    [{ status: 403, reasons: ['rateLimitExceeded'], message: 'Rate Limit Exceeded' }, 'transient'],
    [{ status: 403, reasons: ['forbidden'], message: 'Required permission' }, 'permanent'],
    [{ status: 403, reasons: ['accessNotConfigured', 'PERMISSION_DENIED'], message: 'Compute Engine API has not been used in project' }, 'permanent'],
    [{ status: 401, message: 'Invalid Credentials' }, 'permanent'],
    [{ status: 400, message: 'Invalid value for field' }, 'permanent'],
  ] as const)('%j → %s', (failure, kind) => {
    expect(classifyReadFailure('vm-1', zone, failure).kind).toBe(kind);
  });

  test('404: not written yet while the VM exists; the VM named when it does not', () => {
    expect(classifyReadFailure('vm-1', zone, { status: 404, message: 'not found' }, true)).toEqual({ kind: 'value', value: undefined });
    expect(classifyReadFailure('vm-1', zone, { status: 404, message: 'not found' }, undefined)).toEqual({ kind: 'value', value: undefined });
    expect(classifyReadFailure('vm-1', zone, { status: 404, message: 'not found' }, false)).toEqual({
      kind: 'permanent',
      reason: `VM vm-1 does not exist in zone ${zone} (HTTP 404): it was deleted or never created; see the deploy's output above`,
    });
  });
});

/**
 * activation-wait-main.ts for real against a loopback stand-in of the Compute Engine API: the
 * answers Google gives (JSON error bodies with reasons), per VM and call.
 */
describe('the activation wait against a Compute Engine API stand-in', () => {
  type Answer = { status: number; body: unknown };
  const ok = (value: string): Answer => ({ status: 200, body: { variableKey: 'dskit/status', variableValue: value } });
  const apiError = (status: number, reason: string, message: string): Answer => ({ status, body: { error: { code: status, message, errors: [{ reason, message }] } } });

  /** Serves `answers[vm]` (guest attributes) and `instances[vm]` (instances.get) in turn; returns output and the calls made. */
  async function runWait(answers: Record<string, Answer[]>, instances: Record<string, Answer>, timeoutMinutes = 1) {
    const calls: string[] = [];
    const served: Record<string, number> = {};
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      calls.push(`${req.method} ${url.pathname}${url.search} ${req.headers.authorization ?? ''}`);
      const m = /^\/compute\/v1\/projects\/p-1\/zones\/z-1\/instances\/([^/]+)(\/getGuestAttributes)?$/.exec(url.pathname);
      let answer: Answer = { status: 404, body: { error: { code: 404, message: 'no such path' } } };
      if (m && m[2]) {
        const seq = answers[m[1]] ?? [];
        const i = (served[m[1]] = (served[m[1]] ?? 0) + 1) - 1;
        answer = seq[Math.min(i, seq.length - 1)];
      } else if (m) answer = instances[m[1]] ?? { status: 200, body: { name: m[1] } };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const main = path.join(__dirname, '..', '..', 'lib', 'gcp', 'activation-wait-main.ts');
    const spec = JSON.stringify({ project: 'p-1', zone: 'z-1', instances: Object.keys(answers), timeoutMinutes, pollSeconds: 0.2 });
    const started = Date.now();
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), main, spec], {
      env: { ...process.env, GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.stand-in', DSKIT_COMPUTE_ENDPOINT: `http://127.0.0.1:${port}/compute/v1` },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    server.close();
    return { code, output, calls, seconds: (Date.now() - started) / 1000 };
  }

  test('retries a 503 and a not-yet-written attribute, then succeeds with the deployer\'s token', async () => {
    const r = await runWait(
      { 'web-1': [apiError(503, 'backendError', 'Backend Error'), ok('activated')], 'web-2': [apiError(404, 'notFound', "The resource 'dskit/status' was not found"), ok('activated; warning: event shipping: x')] },
      {},
    );
    expect(r.output).toContain('dskit: web-1: cannot read its status yet (HTTP 503 Backend Error); retrying');
    expect(r.output).toContain('dskit: 0 activated, 0 failed, 2 still waiting (0 min of 1 min): web-1, web-2');
    expect(r.code).toBe(0);
    expect(r.calls.every((c) => c.endsWith('Bearer ya29.stand-in'))).toBe(true);
    // The 404 was checked against instances.get before being taken for "not written yet".
    expect(r.calls.some((c) => c.startsWith('GET /compute/v1/projects/p-1/zones/z-1/instances/web-2?fields=name'))).toBe(true);
  });

  test('403 fails at once, naming the VM and the permission, instead of waiting out the timeout', async () => {
    const r = await runWait({ 'web-1': [apiError(403, 'forbidden', "Required 'compute.instances.getGuestAttributes' permission for 'projects/p-1/zones/z-1/instances/web-1'")] }, {});
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(30);
    expect(r.output).toMatch(/activation failed on web-1: reading VM web-1's guest attributes was refused \(HTTP 403: Required 'compute\.instances\.getGuestAttributes' permission/);
  });

  test('a VM that no longer exists fails at once, named', async () => {
    const r = await runWait({ 'web-1': [apiError(404, 'notFound', 'not found')] }, { 'web-1': apiError(404, 'notFound', "The resource 'projects/p-1/zones/z-1/instances/web-1' was not found") });
    expect(r.code).toBe(1);
    expect(r.output).toContain('activation failed on web-1: VM web-1 does not exist in zone z-1 (HTTP 404)');
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
