/**
 * `dskit verify | teardown --manager-only | policy ensure | policy resolve` run as a
 * user runs them (a child process of bin/dskit.js) against the fake manager fixture.
 */
import { startLab, sandboxRaw, API_KEY, type Lab } from './harness';

const EXPECTED = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1'];

/** A manager holding exactly the sandbox's computers, all online on `policyId`. */
function seedSandbox(lab: Lab, policyId: number): Map<string, number> {
  const ids = new Map<string, number>();
  for (const n of EXPECTED) ids.set(n, lab.fake.addComputer({ displayName: n, policyID: policyId }));
  return ids;
}

function rowOf(stdout: string, name: string): string {
  return stdout.split('\n').find((l) => l.split(/\s+/)[0] === name) ?? '';
}

// `dskit preflight` (with the cloud doubles it needs since it checks the clouds too): test/cli/preflight.test.ts.

describe('dskit verify', () => {
  let lab: Lab;
  let policyId: number;
  let otherPolicy: number;
  beforeAll(async () => {
    lab = await startLab({ maxPageSize: 2 });
    policyId = lab.fake.addPolicy({ name: 'Linux Server' });
    otherPolicy = lab.fake.addPolicy({ name: 'Windows Server' });
    lab.writeConfig(sandboxRaw(policyId));
  });
  beforeEach(() => lab.fake.computers.clear());
  afterAll(() => lab.close());

  test('all present, online, on the policy (found across pages): exit 0', async () => {
    seedSandbox(lab, policyId);
    const r = await lab.dskit(['verify']);
    for (const n of EXPECTED) expect(rowOf(r.stdout, n)).toMatch(/\bactive\s+ok$/);
    expect(r.stdout).toMatch(/all 4 computers of ds-eval are present/);
    expect(r.code).toBe(0);
    // pages of 2 against a server cap of 2: the search paged by id, sorted by id
    const searches = lab.fake.calls('POST', '/computers/search');
    expect(searches.length).toBeGreaterThan(2);
    expect(searches[1].body.searchCriteria).toContainEqual({ idTest: 'greater-than', idValue: expect.any(Number) });
    expect(searches.every((s) => s.body.sortByObjectID === true)).toBe(true);
  });

  test('one missing: its row says missing, exit 1', async () => {
    seedSandbox(lab, policyId);
    const gone = [...lab.fake.computers.values()].find((c) => c.displayName === 'ds-eval-aws-web-2')!;
    lab.fake.computers.delete(gone.ID);
    const r = await lab.dskit(['verify']);
    expect(rowOf(r.stdout, 'ds-eval-aws-web-2')).toMatch(/missing$/);
    expect(rowOf(r.stdout, 'ds-eval-aws-web-1')).toMatch(/ok$/);
    expect(r.code).toBe(1);
  });

  test('one offline: its row names the agent status, exit 1', async () => {
    const ids = seedSandbox(lab, policyId);
    lab.fake.computers.get(ids.get('ds-eval-gcp-web-1')!)!.computerStatus = { agentStatus: 'error' };
    const r = await lab.dskit(['verify']);
    expect(rowOf(r.stdout, 'ds-eval-gcp-web-1')).toMatch(/agent error, not active$/);
    expect(r.code).toBe(1);
  });

  test('one on the wrong policy: expected and found ids, exit 1', async () => {
    const ids = seedSandbox(lab, policyId);
    lab.fake.computers.get(ids.get('ds-eval-aws-win-1')!)!.policyID = otherPolicy;
    const r = await lab.dskit(['verify']);
    expect(rowOf(r.stdout, 'ds-eval-aws-win-1')).toContain(`wrong policy (expected ${policyId} "Linux Server", found ${otherPolicy} "Windows Server")`);
    expect(r.code).toBe(1);
  });

  test('look-alikes are unexpected, never taken for the expected one; other sandboxes are ignored', async () => {
    seedSandbox(lab, policyId);
    lab.fake.addComputer({ displayName: 'ds-eval-aws-web-10', policyID: policyId });
    lab.fake.addComputer({ displayName: 'ds-eval-aws-web-1-old', policyID: policyId });
    lab.fake.addComputer({ displayName: 'ds-evalx-aws-web-1', policyID: policyId });
    const r = await lab.dskit(['--json', 'verify']);
    const out = JSON.parse(r.stdout);
    const byName = Object.fromEntries(out.data.computers.map((c: any) => [c.displayName, c.status]));
    expect(byName['ds-eval-aws-web-1']).toBe('ok');
    expect(byName['ds-eval-aws-web-10']).toBe('unexpected');
    expect(byName['ds-eval-aws-web-1-old']).toBe('unexpected');
    expect(byName['ds-evalx-aws-web-1']).toBeUndefined();
    expect(out.ok).toBe(false);
    expect(r.code).toBe(1);
  });

  test('--cloud gcp checks only the gcp computers', async () => {
    const ids = seedSandbox(lab, policyId);
    lab.fake.computers.delete(ids.get('ds-eval-aws-web-1')!);
    const r = await lab.dskit(['verify', '--cloud', 'gcp']);
    expect(r.stdout).not.toContain('ds-eval-aws-web-1');
    expect(r.code).toBe(0);
  });

  test('--wait re-checks with progress on stderr until the agent comes online', async () => {
    const ids = seedSandbox(lab, policyId);
    const late = lab.fake.computers.get(ids.get('ds-eval-aws-web-1')!)!;
    late.computerStatus = { agentStatus: 'inactive' };
    // Online once the first check is done (aws pages and gcp), not after a fixed time the CLI's start-up may exceed.
    const searchesBefore = lab.fake.calls('POST', '/computers/search').length;
    const timer = setInterval(() => {
      if (lab.fake.calls('POST', '/computers/search').length - searchesBefore >= 5) late.computerStatus = { agentStatus: 'active' };
    }, 20);
    const r = await lab.dskit(['verify', '--wait', '20s']);
    clearInterval(timer);
    // Not a terminal: a plain line per check, naming the computer still waiting.
    expect(r.stderr).toMatch(/^verify: check 1: 1 not active: ds-eval-aws-web-1 \(agent inactive\); again in \d+ s, \d+ s left$/m);
    expect(r.stderr).not.toContain('\r');
    expect(r.code).toBe(0);
  });

  test('--wait that runs out: exit 1 with the table', async () => {
    seedSandbox(lab, policyId);
    lab.fake.computers.delete([...lab.fake.computers.keys()][0]);
    const r = await lab.dskit(['verify', '--wait', '2s']);
    expect(r.stderr).toMatch(/^verify: check 1: 1 missing: ds-eval-\S+ \(missing\)/m);
    expect(r.stdout).toMatch(/1 missing after waiting 2 s/);
    expect(r.code).toBe(1);
  });

  test('a bad --wait is a usage error (exit 2)', async () => {
    const r = await lab.dskit(['verify', '--wait', 'soon']);
    expect(r.stderr).toMatch(/--wait: got "soon"; expected a duration like 15m/);
    expect(r.code).toBe(2);
  });

  test('429 then success: retried with a progress line, result unchanged', async () => {
    seedSandbox(lab, policyId);
    lab.fake.rateLimitNext(2);
    const r = await lab.dskit(['verify']);
    expect(r.stderr).toMatch(/^dskit: POST \/computers\/search: HTTP 429 \(rate limited\); retrying in [\d.]+ s \(attempt 2; the manager counts calls over 60 s, dskit gives up in \d+ s\)$/m);
    expect(r.stderr).toMatch(/\(attempt 3; /);
    expect(r.code).toBe(0);
  });

  test('no API key: exit 2 saying which variable to set', async () => {
    const r = await lab.dskit(['verify'], { env: { DS_API_KEY: '' } });
    expect(r.stderr).toMatch(/DS_API_KEY is not set: export DS_API_KEY=<API key>/);
    expect(r.code).toBe(2);
  });

  test('plain http to a non-loopback manager is refused (the key would travel in clear)', async () => {
    const r = await lab.dskit(['--manager-url', 'http://dsm.lab.test:4119', 'verify']);
    expect(r.stderr).toMatch(/plain http is allowed only for loopback/);
    expect(r.code).toBe(2);
  });
});

describe('dskit teardown --manager-only', () => {
  let lab: Lab;
  let policyId: number;
  beforeAll(async () => {
    lab = await startLab({ maxPageSize: 2 });
    policyId = lab.fake.addPolicy({ name: 'Linux Server' });
    lab.writeConfig(sandboxRaw(policyId));
  });
  afterAll(() => lab.close());

  test('deletes exactly the sandbox computers across pages, nothing that merely shares a prefix', async () => {
    const ids = seedSandbox(lab, policyId);
    // Beyond the config's counts, but of the sandbox's grammar: a lowered count left them (issue 11).
    const stale = ['ds-eval-aws-web-10', 'ds-eval-gcp-web-12'].map((n) => lab.fake.addComputer({ displayName: n, policyID: policyId }));
    const keep = ['ds-eval-aws-web-1-old', 'ds-evalx-aws-web-1', 'other-host'].map((n) =>
      lab.fake.addComputer({ displayName: n, policyID: policyId }),
    );
    const r = await lab.dskit(['teardown', '--manager-only', '--yes']);
    expect(r.code).toBe(0);
    const deletes = lab.fake.calls('DELETE', '/computers/').map((c) => Number(c.path.split('/')[2]));
    expect(deletes.sort()).toEqual([...ids.values(), ...stale].sort());
    for (const id of keep) expect(lab.fake.computers.has(id)).toBe(true);
    expect(lab.fake.calls('POST', '/computers/search').length).toBeGreaterThan(3); // paged
    expect(r.stderr).toMatch(/deleted computer ds-eval-gcp-web-12 \(id \d+\) \[6\/6\]/);
  });

  test('without --yes and no terminal: refuses with exit 2 and deletes nothing', async () => {
    const id = lab.fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: policyId });
    const r = await lab.dskit(['teardown', '--manager-only']);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(r.code).toBe(2);
    expect(lab.fake.computers.has(id)).toBe(true);
  });
});

describe('dskit policy ensure / resolve', () => {
  let lab: Lab;
  let parentId: number;
  beforeAll(async () => {
    lab = await startLab({ maxPageSize: 2 });
    parentId = lab.fake.addPolicy({ name: 'Base Policy' });
    lab.fake.addPolicy({ name: 'Base Policy 2' });
    lab.writeConfig(sandboxRaw(parentId, (raw) => (raw.events.syslogConfigId = 7)));
  });
  afterAll(() => lab.close());

  test('creates <sandbox>-policy under the parent, IPS detect, syslog settings; records it', async () => {
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.code).toBe(0);
    const created = [...lab.fake.policies.values()].find((p) => p.name === 'ds-eval-policy')!;
    expect(created.parentID).toBe(parentId);
    expect(created.intrusionPrevention.state).toBe('detect');
    expect(created.policySettings.firewallSettingSyslogConfigId).toEqual({ value: '7' });
    expect(created.policySettings.logInspectionSettingSyslogConfigId).toEqual({ value: '7' });
    expect(r.stdout).toMatch(new RegExp(`ds-eval-policy \\(id ${created.ID}, parent "Base Policy" id ${parentId}\\): created`));
    const ctx = lab.context();
    expect(ctx.changes['ds-eval']).toEqual([expect.objectContaining({ kind: 'policy-created', id: created.ID, name: 'ds-eval-policy' })]);
    expect(ctx.policyIds['ds-eval-policy']).toBe(created.ID);
  });

  test('a second run creates and changes nothing', async () => {
    const before = lab.fake.requests.length;
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: unchanged$/m);
    const writes = lab.fake.requests.slice(before).filter((q) => q.method !== 'GET' && !q.path.endsWith('/search'));
    expect(writes).toEqual([]);
    expect(lab.context().changes['ds-eval']).toHaveLength(1);
  });

  test('a policy someone changed back is put right, and not recorded again (teardown deletes it anyway)', async () => {
    const p = [...lab.fake.policies.values()].find((x) => x.name === 'ds-eval-policy')!;
    p.intrusionPrevention.state = 'prevent';
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.stdout).toMatch(/updated\n  intrusionPrevention\.state prevent → detect/);
    expect(p.intrusionPrevention.state).toBe('detect');
    expect(lab.context().changes['ds-eval']).toHaveLength(1);
  });

  test('an unknown parent: exit 1 naming it', async () => {
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base']);
    expect(r.stderr).toMatch(/--parent: no policy named "Base"/);
    expect(r.code).toBe(1);
  });

  test('policy resolve caches name → id; teardown then deletes the created policy and forgets it', async () => {
    const created = [...lab.fake.policies.values()].find((p) => p.name === 'ds-eval-policy')!;
    lab.writeConfig(sandboxRaw(0, (raw) => (raw.policy = { name: 'ds-eval-policy' })));
    const resolved = await lab.dskit(['policy', 'resolve']);
    expect(resolved.stdout).toContain(`policy "ds-eval-policy" → id ${created.ID}`);
    expect(resolved.code).toBe(0);

    const vm = lab.fake.addComputer({ displayName: 'ds-eval-aws-web-1', policyID: created.ID });
    const r = await lab.dskit(['teardown', '--manager-only', '--yes']);
    expect(r.stderr).toMatch(/delete policy "ds-eval-policy" \(id \d+\), created by dskit policy ensure: done/);
    expect(r.code).toBe(0);
    expect(lab.fake.computers.has(vm)).toBe(false); // computers first: the manager refuses to delete a policy in use
    expect(lab.fake.policies.has(created.ID)).toBe(false);
    expect(lab.fake.policies.has(parentId)).toBe(true);
    const ctx = lab.context();
    expect(ctx.changes?.['ds-eval']).toBeUndefined();
    expect(ctx.policyIds?.['ds-eval-policy']).toBeUndefined();
  });
});

test('the key reaches the manager only in its header, in the style asked for', async () => {
  const lab = await startLab({ keyHeader: 'authorization' });
  try {
    lab.writeConfig(sandboxRaw(lab.fake.addPolicy({ name: 'P' })));
    await lab.dskit(['verify'], { env: { DSKIT_API_KEY_HEADER: 'authorization' } });
    const req = lab.fake.requests[0];
    expect(req.headers.authorization).toBe(`ApiKey ${API_KEY}`);
    expect(req.headers['api-secret-key']).toBeUndefined();
    expect(req.headers['api-version']).toBe('v1');
    expect(req.path + req.query.toString()).not.toContain(API_KEY);
  } finally {
    await lab.close();
  }
});
