/** ManagerClient against the fake manager in-process (no CLI), plus the pure parts it relies on. */
import { FakeManagerApi } from '../fixtures/fake-manager-api/server';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../lib/config';
import {
  ManagerApiError,
  ManagerClient,
  ManagerSetupError,
  ManagerUnreachableError,
  backoffMs,
  compareComputers,
  createOnce,
  insecureTlsTransport,
  keyHeaderFor,
  managerApiUrl,
  sandboxComputersIn,
  stringStartsWith,
  type RetryNotice,
} from '../../lib/manager';
import { configWith, exampleRaw } from '../helpers/config';
import { recordingListener, rawServer, selfSignedTls, type RawServer } from './hostile-support';

const KEY = 'unit-key-not-a-secret-0000';

describe('ManagerClient against the fake manager', () => {
  let fake: FakeManagerApi;
  let base: string;
  const waits: number[] = [];
  const notices: RetryNotice[] = [];
  // A virtual clock the injected sleep advances: retry budgets measured in time hold without waiting.
  let slept = 0;
  const client = (props: Partial<ConstructorParameters<typeof ManagerClient>[0]> = {}) =>
    new ManagerClient({
      baseUrl: `${base}/api`,
      apiKey: KEY,
      pageSize: 3,
      sleep: async (ms) => {
        waits.push(ms);
        slept += ms;
      },
      now: () => Date.now() + slept,
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

  test('429 is retried through the manager\'s whole 60 s rate window (not ~7 s), with progress, then one line', async () => {
    fake.rateLimitNext(1000);
    const err = await client({ retry: { maxAttempts: 3 } }).currentApiKey().catch((e) => e);
    expect(err).toBeInstanceOf(ManagerApiError);
    expect(err.message).toMatch(/^GET \/apikeys\/current failed: HTTP 429: Too many API requests \(rate limited for over a minute; /);
    expect(err.message).not.toContain('\n');
    const total = waits.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(50_000); // the window, not maxAttempts (3) of short backoff
    expect(total).toBeLessThanOrEqual(65_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(15_000);
    expect(notices.every((n) => n.rateLimited && n.givesUpInMs! <= 65_000)).toBe(true);
    expect(fake.requests.length).toBe(notices.length + 1);
  });

  test('401, 403 and 404 are never retried', async () => {
    for (const status of [401, 403, 404]) {
      fake.requests.length = 0;
      fake.failNext('GET', '/apikeys/current', status);
      const err = await client().currentApiKey().catch((e) => e);
      expect(err).toBeInstanceOf(ManagerApiError);
      expect(err.status).toBe(status);
      expect(fake.requests).toHaveLength(1);
    }
    expect(notices).toEqual([]);
  });

  test('a 5xx is retried a bounded number of times; a create never is (it may have committed)', async () => {
    fake.failNext('GET', '/apikeys/current', 503, 2);
    await expect(client().currentApiKey()).resolves.toMatchObject({ ID: 1 });
    expect(fake.requests).toHaveLength(3);
    fake.requests.length = 0;
    fake.failNext('POST', '/policies', 503, 1);
    const err = await client().createPolicy({ name: 'once' }).catch((e) => e);
    expect(err.status).toBe(503);
    expect(fake.calls('POST', '/policies')).toHaveLength(1);
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

describe('the key header', () => {
  const ws = configWith().manager; // the example: type workload-security
  test('default api-secret-key for every manager type (console keys need it); manager.apiKeyHeader picks the other', () => {
    expect(ws.type).toBe('workload-security');
    expect(keyHeaderFor(ws, {})).toBe('api-secret-key');
    const cloudOne = configWith((r) => (r.manager.apiKeyHeader = 'authorization')).manager;
    expect(keyHeaderFor(cloudOne, {})).toBe('authorization');
    expect(keyHeaderFor(ws, { DSKIT_API_KEY_HEADER: 'authorization' })).toBe('authorization');
    expect(() => keyHeaderFor(ws, { DSKIT_API_KEY_HEADER: 'bearer' })).toThrow(/DSKIT_API_KEY_HEADER: got "bearer"; allowed: api-secret-key \| authorization/);
  });

  test('manager.apiKeyHeader: a bad value names the key and the choices', () => {
    const raw = exampleRaw();
    raw.manager.apiKeyHeader = 'Authorization: ApiKey';
    expect(() => parseConfig(stringify(raw), 'sandbox.yaml')).toThrow(ConfigError);
  });

  test.each([
    ['api-secret-key', 'authorization', /sent the key as "api-secret-key: <key>".*set manager\.apiKeyHeader: authorization/],
    ['authorization', 'api-secret-key', /sent the key as "Authorization: ApiKey <key>".*set manager\.apiKeyHeader: api-secret-key/],
  ] as const)('the fake refuses the right key in the wrong header; the 401 says which header was sent (%s) and how to switch', async (sent, wants, hint) => {
    const fake = new FakeManagerApi({ apiKey: KEY, keyHeader: wants });
    const base = await fake.start();
    try {
      const err = await new ManagerClient({ baseUrl: `${base}/api`, apiKey: KEY, keyHeader: sent }).currentApiKey().catch((e) => e);
      expect(err).toBeInstanceOf(ManagerApiError);
      expect(err.status).toBe(401);
      expect(err.message).toMatch(hint);
      expect(fake.requests).toHaveLength(1); // a 401 is not retried
      await expect(new ManagerClient({ baseUrl: `${base}/api`, apiKey: KEY, keyHeader: wants }).currentApiKey()).resolves.toMatchObject({ ID: 1 });
    } finally {
      await fake.stop();
    }
  });
});

describe('apiKeyEnv may not name a system or another tool\'s variable', () => {
  const problems = (name: string) => {
    const raw = exampleRaw();
    raw.manager.apiKeyEnv = name;
    try {
      parseConfig(stringify(raw), 'sandbox.yaml');
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
  };
  test.each(['PATH', 'HOME', 'path', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS', 'GITHUB_TOKEN', 'NODE_OPTIONS', 'LC_ALL', 'DSKIT_API_KEY_HEADER'])(
    '%s is refused with the rule',
    (name) => {
      const p = problems(name);
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^sandbox\.yaml: manager\.apiKeyEnv: .*is a (system variable|variable of another tool).*dskit sends its value to the manager as the key/);
    },
  );
  test.each(['DS_API_KEY', 'MY_DSM_KEY', 'WORKLOAD_SECURITY_KEY'])('%s is fine', (name) => expect(problems(name)).toEqual([]));
});

describe('redirects are refused, and the key never reaches another origin', () => {
  let fake: FakeManagerApi;
  let base: string;
  let trap: RawServer;
  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: KEY });
    base = await fake.start();
    trap = await recordingListener();
  });
  beforeEach(() => (fake.requests.length = 0));
  afterEach(() => fake.redirectTo(undefined));
  afterAll(async () => {
    await fake.stop();
    await trap.close();
  });

  test.each([301, 302, 303, 307, 308])('HTTP %i to another port: an error naming the Location; the target receives nothing', async (status) => {
    fake.redirectTo(`${trap.url}/api/apikeys/current`, status);
    const err = await new ManagerClient({ baseUrl: `${base}/api`, apiKey: KEY, sleep: async () => undefined }).currentApiKey().catch((e) => e);
    expect(err).toBeInstanceOf(ManagerApiError);
    expect(err.message).toContain(`HTTP ${status}: a redirect (Location "${trap.url}/api/apikeys/current"); dskit never follows a redirect`);
    expect(fake.requests).toHaveLength(1);
    expect(trap.received()).toEqual([]);
  });
});

describe('ids and path parts', () => {
  const requests: string[] = [];
  const c = new ManagerClient({
    baseUrl: 'https://dsm.lab.test/api',
    apiKey: KEY,
    transport: async (r) => {
      requests.push(`${r.method} ${r.url}`);
      return { status: 204, text: '', header: () => null };
    },
  });
  test.each([['9/../1'], ['11/../../policies/9'], [0], [-1], [1.5], [Number.NaN], ['9']])('%p never reaches a URL', async (id) => {
    await expect(c.deletePolicy(id as never)).rejects.toThrow(ManagerSetupError);
    await expect(c.deleteComputer(id as never)).rejects.toThrow(/computer id: got .*; expected a positive integer id/);
    await expect(c.unassignIntrusionPreventionRule(3, id as never)).rejects.toThrow(/rule id/);
    expect(requests).toEqual([]);
  });
  test('names in paths are encoded', async () => {
    await c.systemSetting('a/../b?c').catch(() => undefined);
    expect(requests.pop()).toBe('GET https://dsm.lab.test/api/systemsettings/a%2F..%2Fb%3Fc');
  });
});

describe('an overall deadline per exchange, on both transports', () => {
  let drip: RawServer;
  let dripTls: RawServer;
  // One byte every 100 ms, forever: never idle, never done.
  const dripHandler = (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const t = setInterval(() => res.write(' '), 100);
    res.on('close', () => clearInterval(t));
  };
  beforeAll(async () => {
    drip = await rawServer((_req, res) => dripHandler(res));
    const tls = selfSignedTls();
    dripTls = tls ? await rawServer((_req, res) => dripHandler(res), tls) : drip;
  });
  afterAll(async () => {
    await drip.close();
    if (dripTls !== drip) await dripTls.close();
  });

  test('fetch: a drip ends at the deadline, retried within the call budget, then one line', async () => {
    const started = Date.now();
    const err = await new ManagerClient({ baseUrl: `${drip.url}/api`, apiKey: KEY, timeoutMs: 600, callBudgetMs: 1500, sleep: async () => undefined })
      .currentApiKey()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ManagerUnreachableError);
    expect(err.message).toMatch(/no complete answer within 0\.\d s/);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  test('node:https without verification (allowSelfSignedCertificate): the same deadline holds', async () => {
    if (dripTls === drip) {
      if (process.env.CI === 'true') throw new Error('openssl is needed for this test under CI');
      console.warn('SKIPPED: openssl not found; the https drip test needs it to make a certificate');
      return;
    }
    const started = Date.now();
    const err = await new ManagerClient({
      baseUrl: `${dripTls.url}/api`,
      apiKey: KEY,
      timeoutMs: 600,
      callBudgetMs: 1500,
      transport: insecureTlsTransport,
      sleep: async () => undefined,
    })
      .currentApiKey()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ManagerUnreachableError);
    expect(err.message).toMatch(/no complete answer within 0\.\d s/);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});

describe('creates never make duplicates (issue 11 item 5)', () => {
  let fake: FakeManagerApi;
  let base: string;
  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: KEY });
    base = await fake.start();
  });
  afterAll(() => fake.stop());
  const c = () => new ManagerClient({ baseUrl: `${base}/api`, apiKey: KEY, sleep: async () => undefined, timeoutMs: 2000 });
  const once = (name: string) => createOnce({ what: name, create: () => c().createPolicy({ name }), find: () => c().policiesNamed(name) });

  test('the create committed but its answer was lost: looked up by name and adopted, one policy', async () => {
    fake.dropAnswerAfterCommit('POST', '/policies');
    const r = await once('lost-answer');
    expect(r.how).toBe('adopted');
    expect([...fake.policies.values()].filter((p) => p.name === 'lost-answer')).toHaveLength(1);
    expect(fake.calls('POST', '/policies').filter((q) => q.path === '/policies')).toHaveLength(1);
  });

  test('a 503 that did not commit: the lookup finds nothing, so it is created once more — one policy', async () => {
    fake.requests.length = 0;
    fake.failNext('POST', '/policies', 503);
    const r = await once('not-committed');
    expect(r.how).toBe('created');
    expect([...fake.policies.values()].filter((p) => p.name === 'not-committed')).toHaveLength(1);
    expect(fake.calls('POST', '/policies').filter((q) => q.path === '/policies')).toHaveLength(2);
  });

  test('a 4xx is not ambiguous: no lookup adopts anything, the error stands', async () => {
    await expect(once('')).rejects.toThrow(/HTTP 400: A policy needs a name/);
  });
});
