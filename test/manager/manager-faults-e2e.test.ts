/**
 * Faults injected through the (strict) fake manager, with `dskit` run as a user runs it: lost
 * create answers, a Cloud One key in the wrong header, a real rate-limit window, a policy name
 * that differs only in case, a config naming another tool's secret as the key variable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startLab, sandboxRaw, API_KEY, type Lab } from './harness';

const EXPECTED = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1'];

describe('policy ensure never makes a duplicate (issue 11 item 5)', () => {
  let lab: Lab;
  let parent: number;
  beforeEach(async () => {
    lab = await startLab();
    parent = lab.fake.addPolicy({ name: 'Base Policy' });
    lab.writeConfig(sandboxRaw(parent));
  });
  afterEach(() => lab.close());
  const sandboxPolicies = () => [...lab.fake.policies.values()].filter((p) => p.name === 'ds-eval-policy');

  test('the create committed but its answer was lost: adopted by name, one policy, recorded once; a re-run changes nothing', async () => {
    lab.fake.dropAnswerAfterCommit('POST', '/policies');
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.stderr).toMatch(/policy ensure: the create may have gone through \(POST \/policies failed: cannot reach the manager: .*\); looking "ds-eval-policy" up by name/);
    expect(r.stdout).toMatch(/ds-eval-policy \(id \d+, parent "Base Policy" id \d+\): adopted/);
    expect(r.code).toBe(0);
    expect(sandboxPolicies()).toHaveLength(1);
    expect(lab.fake.calls('POST', '/policies').filter((q) => q.path === '/policies')).toHaveLength(1);
    const id = sandboxPolicies()[0].ID;
    expect(lab.context().changes['ds-eval']).toEqual([expect.objectContaining({ kind: 'policy-created', id })]);
    const again = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(again.stdout).toMatch(/: unchanged$/m);
    expect(sandboxPolicies()).toHaveLength(1);
    expect(lab.context().changes['ds-eval']).toHaveLength(1);
  });

  test('a 502 that did not commit: looked up, not found, created once more — one policy', async () => {
    lab.fake.failNext('POST', '/policies', 502);
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: created$/m);
    expect(sandboxPolicies()).toHaveLength(1);
    expect(lab.fake.calls('POST', '/policies').filter((q) => q.path === '/policies')).toHaveLength(2);
  });

  test('a policy dskit created but never recorded (the run died) is recorded now, so teardown deletes it', async () => {
    const orphan = lab.fake.addPolicy({
      name: 'ds-eval-policy',
      parentID: parent,
      description: 'dskit sandbox ds-eval: created by dskit policy ensure; dskit teardown deletes it',
      intrusionPrevention: { state: 'detect', ruleIDs: [] },
    });
    const r = await lab.dskit(['policy', 'ensure', '--parent', 'Base Policy']);
    expect(r.code).toBe(0);
    expect(lab.context().changes['ds-eval']).toEqual([expect.objectContaining({ kind: 'policy-created', id: orphan })]);
    const t = await lab.dskit(['teardown', '--manager-only', '--yes']);
    expect(t.code).toBe(0);
    expect(lab.fake.policies.has(orphan)).toBe(false);
  });
});

describe('the key header against a tenant whose keys need the other one', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ keyHeader: 'authorization' }); // a Trend Micro Cloud One account key
  });
  afterAll(() => lab.close());

  test('the default header gets a 401 that says which header went and how to switch; switching works', async () => {
    const policy = lab.fake.addPolicy({ name: 'Linux Server' });
    lab.writeConfig(sandboxRaw(policy));
    const r = await lab.dskit(['preflight']);
    expect(r.stdout).toMatch(/^FAIL {2}API key works: .*HTTP 401: Invalid API key\. \(dskit sent the key as "api-secret-key: <key>".*set manager\.apiKeyHeader: authorization/m);
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
    expect(r.code).toBe(1);
    lab.writeConfig(sandboxRaw(policy, (raw) => (raw.manager.apiKeyHeader = 'authorization')));
    const ok = await lab.dskit(['preflight']);
    expect(ok.stdout).toMatch(/^PASS {2}API key works: key "dskit-test" at .* \(sent as authorization\)/m);
    // Every manager check passes now (the cloud checks, without credentials here, are test/cli/preflight.test.ts's).
    for (const check of ['policy exists', 'agent-initiated activation allowed']) expect(ok.stdout).toMatch(new RegExp(`^PASS  ${check}:`, 'm'));
  });
});

test('a real rate-limit window: 429s are retried with progress until the window frees, and the result is right', async () => {
  const lab = await startLab({ rateLimit: { calls: 3, windowMs: 2500 }, maxPageSize: 1 });
  try {
    const policy = lab.fake.addPolicy({ name: 'Linux Server' });
    lab.writeConfig(sandboxRaw(policy));
    for (const n of EXPECTED) lab.fake.addComputer({ displayName: n, policyID: policy });
    const r = await lab.dskit(['verify']);
    expect(r.stderr).toMatch(/^dskit: POST \/computers\/search: HTTP 429 \(rate limited\); retrying in [\d.]+ s \(attempt \d+; the manager counts calls over 60 s, dskit gives up in \d+ s\)$/m);
    expect(r.stdout).toMatch(/verify: all 4 computers of ds-eval are present/);
    expect(r.code).toBe(0);
    // calls refused while over the limit were not processed: every search page came back once
    expect(lab.fake.requests.filter((q) => q.path === '/computers/search').length).toBeGreaterThan(6);
  } finally {
    await lab.close();
  }
}, 60_000);

describe('policy names compare exactly, case included', () => {
  let lab: Lab;
  let linux: number;
  beforeAll(async () => {
    // A manager whose database compares without case: the client must still compare exactly.
    lab = await startLab({ caseInsensitiveStrings: true });
    linux = lab.fake.addPolicy({ name: 'Linux Server' });
  });
  afterAll(() => lab.close());

  test('policy resolve refuses "linux server" and suggests "Linux Server"', async () => {
    lab.writeConfig(sandboxRaw(0, (raw) => (raw.policy = { name: 'linux server' })));
    const r = await lab.dskit(['policy', 'resolve']);
    expect(r.stderr).toContain(`no policy named "linux server" in the manager (names match exactly, case included); did you mean "Linux Server" (id ${linux})? (only the case differs)`);
    expect(r.code).toBe(1);
    expect(lab.context().policyIds).toBeUndefined();
  });

  test('verify and preflight say the same', async () => {
    const v = await lab.dskit(['verify']);
    expect(v.stderr).toMatch(/did you mean "Linux Server"/);
    expect(v.code).toBe(1);
    const p = await lab.dskit(['preflight']);
    expect(p.stdout).toMatch(/^FAIL {2}policy exists: 0 policies named "linux server"; did you mean "Linux Server" \(id \d+\)\?/m);
  });
});

test('apiKeyEnv naming another tool\'s secret: exit 2, one line naming the key and the rule, no call made', async () => {
  const lab = await startLab();
  try {
    lab.writeConfig(sandboxRaw(1, (raw) => (raw.manager.apiKeyEnv = 'AWS_SECRET_ACCESS_KEY')));
    const r = await lab.dskit(['verify'], { env: { AWS_SECRET_ACCESS_KEY: 'not-really-a-secret' } });
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/manager\.apiKeyEnv: .*"AWS_SECRET_ACCESS_KEY".*variable of another tool \(AWS_\*\).*sends its value to the manager as the key/)]);
    expect(r.code).toBe(2);
    expect(lab.fake.requests).toEqual([]);
  } finally {
    await lab.close();
  }
});

test('an id like "9/../1" from a damaged dskit.context.json never reaches a URL: exit 2 naming it, no call to another object', async () => {
  const lab = await startLab();
  try {
    const victim = lab.fake.addPolicy({ name: 'Production' }); // what `/policies/9/../1` would reach
    lab.writeConfig(sandboxRaw(victim));
    fs.writeFileSync(path.join(lab.dir, 'dskit.context.json'), JSON.stringify({ policyIds: { 'ds-eval-policy': `${victim}/../${victim}` } }));
    const r = await lab.dskit(['rules', 'stage', '--rule-ids', '1011001', '--dry-run']);
    expect(r.stderr).toMatch(new RegExp(`"${victim}/\\.\\./${victim}"`));
    expect(r.code).toBe(2);
    expect(lab.fake.requests.filter((q) => q.path.startsWith('/policies'))).toEqual([]);
    expect(lab.fake.policies.has(victim)).toBe(true);
  } finally {
    await lab.close();
  }
});
