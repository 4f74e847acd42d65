/** ManagerClient against the fake manager in-process (no CLI), plus the pure parts it relies on. */
import { FakeManagerApi } from '../fixtures/fake-manager-api/server';
import {
  ManagerApiError,
  ManagerClient,
  ManagerSetupError,
  ManagerUnreachableError,
  backoffMs,
  compareComputers,
  managerApiUrl,
  sandboxComputersIn,
  stringStartsWith,
  type RetryNotice,
} from '../../lib/manager';
import { configWith } from '../helpers/config';

const KEY = 'unit-key-not-a-secret-0000';

describe('ManagerClient against the fake manager', () => {
  let fake: FakeManagerApi;
  let base: string;
  const waits: number[] = [];
  const notices: RetryNotice[] = [];
  const client = (props: Partial<ConstructorParameters<typeof ManagerClient>[0]> = {}) =>
    new ManagerClient({
      baseUrl: `${base}/api`,
      apiKey: KEY,
      pageSize: 3,
      sleep: async (ms) => void waits.push(ms),
      onRetry: (n) => notices.push(n),
      ...props,
    });

  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: KEY, maxPageSize: 2 });
    base = await fake.start();
    for (let i = 1; i <= 7; i++) fake.addComputer({ displayName: `lab-aws-web-${i}`, policyID: 1 });
    fake.addComputer({ displayName: 'lab_aws-web-1', policyID: 1 });
  });
  beforeEach(() => {
    waits.length = 0;
    notices.length = 0;
    fake.requests.length = 0;
    fake.rateLimitNext(0);
  });
  afterAll(() => fake.stop());

  test('a search pages by id past the server cap and returns every match exactly once', async () => {
    const found = await client().computersWithDisplayNamePrefix('lab-aws-');
    expect(found.map((c) => c.displayName)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `lab-aws-web-${i}`));
    const bodies = fake.calls('POST', '/computers/search').map((r) => r.body);
    expect(bodies).toHaveLength(5); // 2+2+2+1, then an empty page
    expect(bodies.map((b) => b.searchCriteria[1].idValue)).toEqual([0, 2, 4, 6, 7]);
    expect(bodies[0].maxItems).toBe(3);
  });

  test('a prefix search escapes the manager wildcards in the prefix (`_` is not "any character")', async () => {
    expect(stringStartsWith('displayName', 'a_b%')).toEqual({ fieldName: 'displayName', stringTest: 'equal', stringValue: 'a\\_b\\%%', stringWildcards: true });
    const found = await client().computersWithDisplayNamePrefix('lab_aws-');
    expect(found.map((c) => c.displayName)).toEqual(['lab_aws-web-1']);
  });

  test('429 is retried with backoff, reported, then succeeds', async () => {
    fake.rateLimitNext(2);
    const key = await client().currentApiKey();
    expect(key.keyName).toBe('dskit-test');
    expect(notices.map((n) => [n.call, n.attempt, n.reason])).toEqual([
      ['GET /apikeys/current', 1, 'HTTP 429'],
      ['GET /apikeys/current', 2, 'HTTP 429'],
    ]);
    expect(waits).toHaveLength(2);
  });

  test('429 beyond the bound: one line with the call and the manager\'s message', async () => {
    fake.rateLimitNext(100);
    const err = await client({ retry: { maxAttempts: 3 } }).currentApiKey().catch((e) => e);
    expect(err).toBeInstanceOf(ManagerApiError);
    expect(err.message).toBe('GET /apikeys/current failed: HTTP 429: Too many API requests (rate limited; wait a minute and retry)');
    expect(err.message).not.toContain('\n');
    expect(fake.requests).toHaveLength(3);
  });

  test('a 4xx is not retried; the error names the call and the manager message, never the key', async () => {
    const err = await client().createPolicy({ name: 'x', bogus: 1 } as never).catch((e) => e);
    expect(err.message).toBe('POST /policies failed: HTTP 400: Unrecognized field "bogus" in Policy.');
    expect(fake.requests).toHaveLength(1);
    const wrong = await client({ apiKey: 'wrong-secret-9999' }).currentApiKey().catch((e) => e);
    expect(wrong.message).toMatch(/^GET \/apikeys\/current failed: HTTP 401: Invalid API key\./);
    expect(JSON.stringify(client())).not.toContain(KEY);
  });

  test('an unreachable manager: retried, then one line naming the call', async () => {
    const closed = new FakeManagerApi({ apiKey: KEY });
    const deadUrl = await closed.start();
    await closed.stop();
    const dead = new ManagerClient({ baseUrl: `${deadUrl}/api`, apiKey: KEY, retry: { maxAttempts: 2 }, sleep: async () => undefined });
    const err = await dead.currentApiKey().catch((e) => e);
    expect(err).toBeInstanceOf(ManagerUnreachableError);
    expect(err.message).toMatch(/^GET \/apikeys\/current failed: cannot reach the manager: ECONNREFUSED .* check --manager-url/);
  });

  test('per-rule detect-only override and rule assignment use the v1 paths and bodies', async () => {
    const pid = fake.addPolicy({ name: 'rules' });
    const rid = fake.addIntrusionPreventionRule({ name: '1011234 - test rule', identifier: '1011234' });
    const c = client();
    expect((await c.assignIntrusionPreventionRules(pid, [rid])).assignedRuleIDs).toEqual([rid]);
    const override = await c.setPolicyRuleDetectOnly(pid, rid, true);
    expect(override.detectOnly).toBe(true);
    expect(fake.ruleOverrides.get(`${pid}/${rid}`)).toEqual({ detectOnly: true });
    expect((await c.searchIntrusionPreventionRules([{ fieldName: 'identifier', stringTest: 'equal', stringValue: '1011234' }])).map((r) => r.ID)).toEqual([rid]);
  });
});

describe('retry backoff', () => {
  const policy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
  test('doubles per attempt with jitter in [ceiling/2, ceiling]', () => {
    expect(backoffMs(1, policy, null, () => 0)).toBe(250);
    expect(backoffMs(1, policy, null, () => 1)).toBe(500);
    expect(backoffMs(4, policy, null, () => 1)).toBe(4000);
    expect(backoffMs(20, policy, null, () => 1)).toBe(30_000);
  });
  test('Retry-After (seconds or date) wins, within the cap', () => {
    expect(backoffMs(1, policy, '7')).toBe(7000);
    expect(backoffMs(1, policy, '600')).toBe(30_000);
    expect(backoffMs(1, policy, new Date(10_000 + 3000).toUTCString(), Math.random, () => 10_000)).toBe(3000);
  });
});

describe('matching computers to the sandbox', () => {
  const expected = [
    { displayName: 'ds-eval-aws-web-1', policyId: 9 },
    { displayName: 'ds-eval-aws-web-2', policyId: 9 },
  ];
  test('exact names only; look-alikes are unexpected and never deleted', () => {
    const found = [
      { ID: 1, displayName: 'ds-eval-aws-web-1', policyID: 9, computerStatus: { agentStatus: 'active' as const } },
      { ID: 2, displayName: 'ds-eval-aws-web-10', policyID: 9, computerStatus: { agentStatus: 'active' as const } },
      { ID: 3, displayName: 'ds-eval-aws-web-1-old', policyID: 9 },
    ];
    const rows = compareComputers(expected, found);
    expect(rows.map((r) => [r.displayName, r.findings])).toEqual([
      ['ds-eval-aws-web-1', []],
      ['ds-eval-aws-web-2', ['missing']],
      ['ds-eval-aws-web-10', ['unexpected']],
      ['ds-eval-aws-web-1-old', ['unexpected']],
    ]);
    expect(sandboxComputersIn(found, ['ds-eval-aws-web-1', 'ds-eval-aws-web-2']).map((c) => c.ID)).toEqual([1]);
  });
  test('two computers with one expected name are both flagged duplicate; unknown status counts as offline', () => {
    const rows = compareComputers(expected.slice(0, 1), [
      { ID: 1, displayName: 'ds-eval-aws-web-1', policyID: 9, computerStatus: { agentStatus: 'active' } },
      { ID: 5, displayName: 'ds-eval-aws-web-1', policyID: 9 },
    ]);
    expect(rows.map((r) => r.findings)).toEqual([['duplicate'], ['offline', 'duplicate']]);
  });
});

describe('manager URL and key setup', () => {
  const dsm = configWith((raw) => {
    raw.manager = { type: 'dsm', url: 'https://dsm.lab.test:4119', activationUrl: 'dsm://dsm.lab.test:4120/', activationTokenSecret: 's' };
  }).manager;
  test('the API is at <url>/api; --manager-url overrides; http only on loopback', () => {
    expect(managerApiUrl(dsm)).toBe('https://dsm.lab.test:4119/api');
    expect(managerApiUrl(dsm, 'http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/api');
    expect(() => managerApiUrl(dsm, 'http://dsm.lab.test:4119')).toThrow(ManagerSetupError);
  });
  test('the client refuses an empty key before any call', () => {
    expect(() => new ManagerClient({ baseUrl: 'https://x.test/api', apiKey: '' })).toThrow(/API key: empty/);
  });
});
