/**
 * The manager side of a vision-one sandbox, run as a user runs it against the fake Server & Workload
 * Protection manager: `policy ensure` makes (and records, and keeps to the config) the event-based
 * tasks; agents that register themselves get their policy from them by host name; `verify` finds
 * them by host name and checks the tasks; `preflight` checks the packages and the manager's
 * settings; `teardown --manager-only` deletes computers and tasks — all through the manager's
 * rate limit. And the fake is as strict about event-based tasks as the catalog's model.
 */
import * as fs from 'node:fs';
import { standInInstallers, type StandInInstallers } from '../helpers/vision-one';
import { AIA_SPECIFY_HOSTNAME } from '../fixtures/fake-manager-api/server';
import { API_KEY, sandboxRaw, startLab, type Lab } from './harness';

let pkgs: StandInInstallers;
beforeAll(() => (pkgs = standInInstallers()));
afterAll(() => fs.rmSync(pkgs.dir, { recursive: true, force: true }));

/** aws web×2 (Linux) and win×1, gcp web×1; aws win on a policy of its own. */
function visionOneRaw(linuxPolicy: number, windowsPolicy: number): Record<string, any> {
  return sandboxRaw(linuxPolicy, (raw) => {
    raw.manager = { type: 'vision-one', region: 'us-1', apiKeyEnv: 'DS_API_KEY', installers: { linux: { x86_64: pkgs.linuxX86 }, windows: pkgs.windows } };
    raw.aws.vms[1].policy = { id: windowsPolicy };
  });
}

const post = async (lab: Lab, path: string, body: unknown) =>
  fetch(`${lab.url}/api${path}`, { method: 'POST', headers: { 'api-version': 'v1', 'api-secret-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('vision-one: policy ensure, agents registering themselves, verify, teardown', () => {
  let lab: Lab;
  let linux: number;
  let windows: number;

  beforeAll(async () => {
    // Server & Workload Protection counts calls over a 60 s window; a tight one here.
    lab = await startLab({ rateLimit: { calls: 6, windowMs: 1500 } });
    linux = lab.fake.addPolicy({ name: 'Linux Server' });
    windows = lab.fake.addPolicy({ name: 'Windows Server' });
    lab.writeConfig(visionOneRaw(linux, windows));
  });
  afterAll(() => lab.close());

  test('policy ensure creates one agent-initiated activation task per policy, matching only its VMs\' host names', async () => {
    const r = await lab.dskit(['policy', 'ensure'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`event-based task dskit-ds-eval-policy-${linux} \\(id \\d+\\): created; on agent-initiated activation of ds-eval-aws-web-<n>, ds-eval-gcp-web-<n>`));
    expect(r.stdout).toMatch(new RegExp(`event-based task dskit-ds-eval-policy-${windows} \\(id \\d+\\): created; on agent-initiated activation of ds-eval-aws-win-<n>`));
    const tasks = [...lab.fake.eventBasedTasks.values()];
    expect(tasks.map((t) => t.type)).toEqual(['agent-initiated-activation', 'agent-initiated-activation']);
    expect(tasks.find((t) => t.name === `dskit-ds-eval-policy-${linux}`)!.conditions).toEqual([
      { field: 'hostname', value: '(?i)(ds-eval-aws-web|ds-eval-gcp-web)-[1-9][0-9]*(\\..*)?' },
    ]);
    expect(lab.context().changes['ds-eval'].map((c: any) => c.kind)).toEqual(['event-based-task-created', 'event-based-task-created']);
  });

  test('a second run changes nothing', async () => {
    const r = await lab.dskit(['policy', 'ensure'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/: unchanged/g)).toHaveLength(2);
    expect(lab.fake.eventBasedTasks.size).toBe(2);
  });

  test('agents that register themselves get their policy by host name (an FQDN, Windows in capitals), and verify finds them', async () => {
    const web1 = lab.fake.agentInitiatedActivation({ hostName: 'ds-eval-aws-web-1', platform: 'Amazon Linux 2023 (64 bit)' });
    lab.fake.agentInitiatedActivation({ hostName: 'ds-eval-aws-web-2.ap-northeast-1.compute.internal', platform: 'Amazon Linux 2023 (64 bit)' });
    const win = lab.fake.agentInitiatedActivation({ hostName: 'DS-EVAL-AWS-WIN-1', platform: 'Microsoft Windows Server 2022 (64 bit)' });
    lab.fake.agentInitiatedActivation({ hostName: 'ds-eval-gcp-web-1', platform: 'Debian GNU/Linux 12 (bookworm)' });
    // Another sandbox's agent is left to the default policy.
    const other = lab.fake.agentInitiatedActivation({ hostName: 'ds-eval2-aws-web-1', platform: 'Ubuntu 22.04' });
    expect([web1.policyID, win.policyID, other.policyID]).toEqual([linux, windows, 0]);
    const r = await lab.dskit(['--json', 'verify'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout).data;
    expect(result.computers.map((c: any) => [c.displayName, c.status]).sort()).toEqual([
      ['ds-eval-aws-web-1', 'ok'],
      ['ds-eval-aws-web-2', 'ok'],
      ['ds-eval-aws-win-1', 'ok'],
      ['ds-eval-gcp-web-1', 'ok'],
    ]);
    expect(result.eventBasedTasks.every((t: any) => t.problems.length === 0)).toBe(true);
  });

  test('verify says what differs when a task was changed in the console, and policy ensure puts it back', async () => {
    const task = [...lab.fake.eventBasedTasks.values()].find((t) => t.name === `dskit-ds-eval-policy-${windows}`)!;
    task.enabled = false;
    const r = await lab.dskit(['verify'], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`event-based task dskit-ds-eval-policy-${windows} \\(id ${task.ID}\\): disabled`));
    const fixed = await lab.dskit(['policy', 'ensure'], { timeoutMs: 120_000 });
    expect(fixed.stdout).toMatch(new RegExp(`dskit-ds-eval-policy-${windows} \\(id ${task.ID}\\): updated`));
    expect(lab.fake.eventBasedTasks.get(task.ID)!.enabled).toBe(true);
  });

  test('preflight checks the packages and that agents may name themselves', async () => {
    lab.fake.systemSettings.set(AIA_SPECIFY_HOSTNAME, 'false');
    const r = await lab.dskit(['preflight'], { timeoutMs: 120_000 });
    lab.fake.systemSettings.set(AIA_SPECIFY_HOSTNAME, 'true');
    expect(r.stdout).toMatch(/^PASS  Agent Installer package \(Linux, 64-bit \(x86-64\)\): .*a \.tar with tmxbc .*SHA-256 [0-9a-f]{64}/m);
    expect(r.stdout).toMatch(/^PASS  Agent Installer package \(Windows\): .*a \.zip with EndpointBasecamp\.exe/m);
    expect(r.stdout).toMatch(/^FAIL  agents may specify their host name: .* — fix: Administration > System Settings > Agents: Allow Agent to specify hostname/m);
    expect(r.stdout).toMatch(/^PASS  event-based tasks assign the sandbox's policies/m);
    expect(r.stdout).toMatch(/^SKIP  agent signing key: vision-one/m);
    expect(r.stdout).not.toMatch(/activation token secret/);
    expect(r.code).toBe(1);
  });

  test('a policy the config no longer uses: policy ensure deletes its task and forgets its record', async () => {
    lab.writeConfig(visionOneRaw(linux, linux));
    const r = await lab.dskit(['policy', 'ensure'], { timeoutMs: 120_000 });
    expect(r.stdout).toMatch(new RegExp(`dskit-ds-eval-policy-${windows} \\(id \\d+\\): deleted \\(stale\\)`));
    expect([...lab.fake.eventBasedTasks.values()].map((t) => t.name)).toEqual([`dskit-ds-eval-policy-${linux}`]);
    expect(lab.context().changes['ds-eval']).toHaveLength(1);
    // The Linux task now covers the Windows VM too.
    expect(r.stdout).toMatch(/: updated/);
  });

  test('teardown --manager-only deletes the computers found by host name and the recorded task; the other sandbox\'s stays', async () => {
    // Over the manager's rate limit from the start: waited out, not failed on.
    lab.fake.rateLimitNext(3);
    const r = await lab.dskit(['teardown', '--manager-only', '--yes'], { timeoutMs: 180_000 });
    expect(r.stderr).toMatch(/HTTP 429 \(rate limited\); retrying/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deleted 4 computer\(s\); undid 1 of 1 manager change\(s\)/);
    expect([...lab.fake.computers.values()].map((c) => c.hostName)).toEqual(['ds-eval2-aws-web-1']);
    expect(lab.fake.eventBasedTasks.size).toBe(0);
    expect(lab.context().changes?.['ds-eval']).toBeUndefined();
  });
});

describe('vision-one: agents that registered before the tasks existed (no policy yet)', () => {
  let lab: Lab;
  let linux: number;
  beforeAll(async () => {
    lab = await startLab();
    linux = lab.fake.addPolicy({ name: 'Linux Server' });
    lab.writeConfig(visionOneRaw(linux, linux));
  });
  afterAll(() => lab.close());

  test('verify reports it as on no policy (exit 1), not as a bad id (exit 2)', async () => {
    const early = lab.fake.agentInitiatedActivation({ hostName: 'ds-eval-aws-web-1', platform: 'Amazon Linux 2023 (64 bit)' });
    expect(early.policyID).toBe(0);
    const r = await lab.dskit(['--json', 'verify'], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    const { data, problems } = JSON.parse(r.stdout);
    const row = data.computers.find((c: any) => c.displayName === 'ds-eval-aws-web-1');
    expect(row).toMatchObject({ foundPolicyId: null, foundPolicyName: null, expectedPolicyId: linux, status: 'wrong-policy' });
    expect(problems.map((p: any) => p.message)).toContainEqual(expect.stringMatching(/^ds-eval-aws-web-1: wrong policy \(expected \d+ "Linux Server", found none\)/));
  });
});

describe('the fake manager refuses event-based tasks the catalog would not take', () => {
  let lab: Lab;
  let policy: number;
  beforeAll(async () => {
    lab = await startLab();
    policy = lab.fake.addPolicy({ name: 'P' });
  });
  afterAll(() => lab.close());

  const valid = () => ({ name: 't', type: 'agent-initiated-activation', enabled: true, conditions: [{ field: 'hostname', value: 'a.*' }], actions: [{ type: 'assign-policy', parameterValue: policy }] });
  test.each([
    ['an unknown key', (t: any) => (t.description = 'x'), /Unrecognized field "description"/],
    ['an unknown event', (t: any) => (t.type = 'agent-activated'), /Invalid type/],
    ['an unknown condition field', (t: any) => (t.conditions[0].field = 'computerName'), /Invalid condition field/],
    ['a regex that does not compile', (t: any) => (t.conditions[0].value = 'ds-eval-(aws'), /not a valid regular expression/],
    ['no action', (t: any) => (t.actions = []), /at least one action/],
    ['a policy that does not exist', (t: any) => (t.actions[0].parameterValue = 999), /policy does not exist/, 404],
    ['assign-policy without an id', (t: any) => delete t.actions[0].parameterValue, /needs the ID/],
  ] as [string, (t: any) => void, RegExp, number?][])('%s: refused', async (_what, edit, message, status = 400) => {
    const t = valid();
    edit(t);
    const res = await post(lab, '/eventbasedtasks', t);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });

  test('a valid one is created, and a disabled task never runs', async () => {
    const res = await post(lab, '/eventbasedtasks', { ...valid(), enabled: false });
    expect(res.status).toBe(200);
    expect(lab.fake.agentInitiatedActivation({ hostName: 'abc', platform: 'Linux' }).policyID).toBe(0);
  });

  test('without "Allow Agent to specify hostname" the computer is named by its IP address, and no host-name task matches it', () => {
    lab.fake.systemSettings.set(AIA_SPECIFY_HOSTNAME, 'false');
    const c = lab.fake.agentInitiatedActivation({ hostName: 'ds-eval-aws-web-1', platform: 'Linux', ip: '10.60.1.23' });
    expect(c.hostName).toBe('10.60.1.23');
  });
});
