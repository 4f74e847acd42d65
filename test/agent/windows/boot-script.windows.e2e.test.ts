/**
 * The rendered Windows boot scripts of both clouds, run for real under pwsh against the same HTTPS
 * doubles as the Linux end-to-end run (test/fixtures/fake-agent-endpoints), with only what Linux
 * cannot have stood in (test/fixtures/windows-stand-ins). Needs root (a network namespace for the
 * metadata address) and pwsh (bash test/agent/windows/install-tools.sh). Outside CI it skips loudly
 * when it cannot run; under CI=true it always runs.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findVm, renderBootScript } from '../../../lib/agent';
import { configWith } from '../../helpers/config';
import { AWS_REGION, makeTls, MANAGER_HOST, WAIT_HANDLE_HOST } from '../support/assets';
import { CLOUD_API_ADDRESS, TENANT_NUMERIC_ID, TOKEN_SECRET, type RunResult } from '../support/harness';
import { windowsSkipReason } from './support/pwsh';
import { buildStandInMsis, TREND_SIGNER, type StandInMsis } from './support/stand-in-msi';
import { PROXY_PORT, WindowsBootScriptCase, type WindowsCaseOptions, type WindowsTls } from './support/windows-harness';

const skipReason = windowsSkipReason({ root: true });
if (skipReason) console.warn(`\n*** SKIPPING the Windows boot-script end-to-end tests: ${skipReason}. Under CI=true they run. ***\n`);
const describeE2e = skipReason ? describe.skip : describe;

jest.setTimeout(300_000);

type Cloud = 'aws' | 'gcp';
const CLOUDS: Cloud[] = ['gcp', 'aws'];
const TENANT_GUID = '11111111-2222-3333-4444-555555555555';
const FAST = { DSKIT_ATTEMPTS: '3', DSKIT_BACKOFF_CAP: '2', DSKIT_READY_TIMEOUT: '30' };
const ROLE_SECRET_KEY = 'fake/secret/access/key';

function configFor(proxy = '') {
  return configWith((raw) => {
    raw.manager = {
      type: 'dsm',
      url: `https://${MANAGER_HOST}:4119`,
      activationUrl: `dsm://${MANAGER_HOST}:4120/`,
      tenantId: TENANT_GUID,
      tenantNumericId: TENANT_NUMERIC_ID,
      activationTokenSecret: TOKEN_SECRET,
      verifyPackageSignature: true,
      proxy,
    };
    raw.policy = { id: 9, groupId: 3, relayGroupId: 0 };
    raw.aws.region = AWS_REGION;
    raw.aws.vms = [{ name: 'win', os: 'windows-2022', count: 1 }];
    raw.gcp.project = 'dskit-e2e-project';
    raw.gcp.vms = [{ name: 'win', os: 'windows-2022', count: 1 }];
  });
}

/**
 * The boot script as the cloud runs it. A budget in seconds renders the readable form (the same
 * body, uncompressed; render.test.ts proves it) with the budget a shorter activation timeout would give.
 */
function script(cloud: Cloud, opts: { proxy?: string; budgetSeconds?: number } = {}): string {
  const config = configFor(opts.proxy);
  const params =
    cloud === 'aws'
      ? ({ cloud, region: AWS_REGION, waitHandleUrl: `https://${WAIT_HANDLE_HOST}/arn%3Aaws%3Acloudformation/handle?X-Amz-Signature=abc`, logGroupName: '/dskit/ds-eval/ds-events' } as const)
      : ({ cloud, project: 'dskit-e2e-project', logName: 'ds-events' } as const);
  const boot = renderBootScript(config, findVm(config, cloud, 'win'), 1, params);
  if (opts.budgetSeconds === undefined) return boot.script;
  expect(boot.readable).toMatch(/^\$BudgetSeconds = \d+$/m);
  return boot.readable.replace(/^\$BudgetSeconds = \d+$/m, `$BudgetSeconds = ${opts.budgetSeconds}`);
}

let tls: WindowsTls;
let msis: StandInMsis;
let assetsDir: string;

beforeAll(() => {
  if (skipReason) return;
  assetsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-win-assets-'));
  tls = makeTls(assetsDir);
  msis = buildStandInMsis(assetsDir);
});

afterAll(() => {
  if (assetsDir) fs.rmSync(assetsDir, { recursive: true, force: true });
});

const newToken = () => randomUUID().toUpperCase();

async function startCase(opts: Partial<WindowsCaseOptions> & { token?: string } = {}): Promise<WindowsBootScriptCase> {
  const c = new WindowsBootScriptCase({ tls, token: opts.token ?? newToken(), packageFile: msis.signed, managerUpAfterMs: 0, ...opts });
  await c.start();
  return c;
}

/** What the VM reported: the wait condition's signals (AWS) or guest attribute dskit/status (GCP), as `SUCCESS: ...` / `FAILURE: ...`. */
function outcomes(c: WindowsBootScriptCase, cloud: Cloud): string[] {
  if (cloud === 'aws') return c.ofType('wait-condition').map((e) => `${e.signal.Status}: ${e.signal.Reason}`);
  return c.ofType('guest-attribute').filter((e) => e.key === 'dskit/status').map((e) => String(e.value).replace(/^failed: /, 'FAILURE: ').replace(/^(?!FAILURE: )/, 'SUCCESS: '));
}

function expectNoTokenLeak(c: WindowsBootScriptCase, run: RunResult, token: string) {
  expect(run.samples).toBeGreaterThan(10);
  expect(run.output).not.toContain(token);
  expect(c.filesContaining(token)).toEqual([]);
  expect(run.tokenInEnviron).toEqual([]);
  // The agent's CLI takes the token as an argument: that one process line, and no other.
  expect(run.tokenInCmdline.length).toBeGreaterThan(0);
  for (const line of run.tokenInCmdline) expect(line).toMatch(/^\/bin\/bash \S+\/Program Files\/Trend Micro\/Deep Security Agent\/dsa_control\.cmd -a /);
}

describe.each(CLOUDS)('%s Windows boot script', (cloud) => {
  describeE2e('happy path, then a re-run', () => {
    const token = newToken();
    let c: WindowsBootScriptCase;
    let first: RunResult;
    let second: RunResult;
    let commandsAfterFirst: number;

    beforeAll(async () => {
      c = await startCase({ token });
      first = await c.run(script(cloud), FAST);
      commandsAfterFirst = c.ofType('agent-command').length;
      second = await c.run(script(cloud), FAST);
    });
    afterAll(() => c?.stop());

    test('downloads the Windows x86_64 MSI over TLS 1.2+ with the version-control header and the query Trend\'s script sends', () => {
      expect(first.code).toBe(0);
      const downloads = c.ofType('request').filter((e) => e.server === 'manager' && e.port === 4119);
      expect(downloads).toHaveLength(1);
      expect(downloads[0]).toMatchObject({
        method: 'GET',
        path: '/software/agent/Windows/x86_64/agent.msi',
        query: `?tenantID=${TENANT_NUMERIC_ID}&windowsVersion=10.0.20348&windowsProductType=3`,
      });
      expect(downloads[0].headers['agent-version-control']).toBe('on');
      expect(['TLSv1.2', 'TLSv1.3']).toContain(downloads[0].tls);
    });

    test('checks the Authenticode signature and installs quietly with every feature (ADDLOCAL=ALL)', () => {
      expect(c.standInCalls('Get-AuthenticodeSignature')).toEqual([expect.objectContaining({ status: 'Valid' })]);
      expect(c.readFile('ProgramData/dskit/dskit-agent.log')).toContain(`signature verified: Authenticode of agent.msi, signer ${TREND_SIGNER}`);
      const [msiexec, ...more] = c.standInCalls('msiexec.exe');
      expect(more).toEqual([]);
      expect(msiexec.args).toEqual(['/i', path.join(c.root, 'ProgramData/dskit/agent.msi'), '/qn', '/norestart', 'ADDLOCAL=ALL', '/l*v', path.join(c.root, 'ProgramData/dskit/agent-msi.log')]);
    });

    test('resets, then activates with exactly the arguments of SPEC §4', () => {
      const commands = c.ofType('agent-command').slice(0, commandsAfterFirst);
      expect(commands.map((e) => e.command)).toEqual(['reset', 'activate']);
      expect(commands[1].args).toEqual([
        '-a',
        `dsm://${MANAGER_HOST}:4120/`,
        `tenantID:${TENANT_GUID}`,
        `token:${token}`,
        'policyid:9',
        'groupid:3',
        `displayname:ds-eval-${cloud}-win-1`,
      ]);
    });

    test('reads the token with the VM\'s own identity', () => {
      if (cloud === 'aws') {
        expect(c.ofType('sigv4')).toEqual([{ type: 'sigv4', ok: true, amzDate: expect.stringMatching(/^\d{8}T\d{6}Z$/) }]);
        const imds = c.ofType('request').filter((e) => e.server === 'metadata');
        expect(imds[0]).toMatchObject({ method: 'PUT', path: '/latest/api/token' });
        expect(c.filesContaining(ROLE_SECRET_KEY)).toEqual([]);
        expect(first.output).not.toContain(ROLE_SECRET_KEY);
      } else {
        const reads = c.ofType('request').filter((e) => e.host === 'secretmanager.googleapis.com');
        expect(reads).toHaveLength(1);
        expect(reads[0].path).toBe(`/v1/projects/dskit-e2e-project/secrets/${TOKEN_SECRET}/versions/latest:access`);
        expect(reads[0].headers.authorization).toBe('Bearer ya29.fake-access-token');
      }
    });

    test('reports SUCCESS once, with a warning naming the event shipping that failed', () => {
      const shipping = cloud === 'aws' ? 'the CloudWatch agent could not be downloaded' : 'could not download the Google Ops Agent installer from dl.google.com';
      expect(outcomes(c, cloud)[0]).toBe(`SUCCESS: activated; warning: event shipping: ${shipping}`);
      if (cloud === 'aws') expect(c.ofType('wait-condition')[0].signal).toMatchObject({ UniqueId: 'ds-eval-aws-win-1', Data: 'SUCCESS' });
      expect(c.ofType('wait-condition-refused')).toEqual([]);
    });

    test('the syslog receiver task has no execution time limit, and receives the agent\'s datagrams', async () => {
      const task = c.task('dskit-syslog-receiver')!;
      expect(task.Settings.ExecutionTimeLimit).toBe('PT0S');
      expect(task.Triggers).toEqual([{ Kind: 'AtStartup' }]);
      const cef = 'CEF:0|Trend Micro|Deep Security Agent|20.0|20|Log|3|src=10.0.0.9 dst=10.0.0.5 dpt=22 act=deny';
      // The receiver is a second pwsh, started by the task: wait for it to listen.
      for (let i = 0; i < 60 && !(c.exists('ProgramData/dskit/ds-events.log') && c.readFile('ProgramData/dskit/ds-events.log').includes(cef)); i++) {
        c.sendSyslog(514, cef);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(c.readFile('ProgramData/dskit/ds-events.log').split('\n')).toContain(cef);
    });

    test('the token is in no log, file, environment or process line but dsa_control -a\'s', () => {
      expectNoTokenLeak(c, first, token);
    });

    test('a re-run leaves the activated agent alone: no reset, no second activation, no download', () => {
      expect(second.code).toBe(0);
      expect(c.ofType('agent-command')).toHaveLength(commandsAfterFirst);
      expect(c.ofType('request').filter((e) => e.server === 'manager' && e.port === 4119)).toHaveLength(1);
      expect(outcomes(c, cloud).pop()).toMatch(/^SUCCESS: activated \(already\)/);
    });
  });

  describeE2e('manager unreachable for the first attempts, then up', () => {
    let c: WindowsBootScriptCase;
    let run: RunResult;

    beforeAll(async () => {
      // The manager comes up once the script has found it down, during its retries.
      c = await startCase({ managerUpAfterMs: null });
      const running = c.run(script(cloud), { ...FAST, DSKIT_ATTEMPTS: '8' });
      await c.logShows(/download attempt 1\/8 .* failed/);
      c.bringManagerUp();
      run = await running;
    });
    afterAll(() => c?.stop());

    test('retries with backoff and activates', () => {
      expect(run.code).toBe(0);
      const log = c.readFile('ProgramData/dskit/dskit-agent.log');
      expect(log).toMatch(/download attempt 1\/8 of https:\/\/dsm\.test\.dskit\.internal:4119\/\S+ failed: /);
      expect(log).toMatch(/downloaded \S+ \(\d+ bytes, attempt [2-8]\)/);
      expect(outcomes(c, cloud)).toEqual([expect.stringMatching(/^SUCCESS: activated/)]);
    });
  });

  describeE2e('manager unreachable for good', () => {
    let c: WindowsBootScriptCase;
    let run: RunResult;

    beforeAll(async () => {
      c = await startCase({ managerUpAfterMs: null });
      run = await c.run(script(cloud), FAST);
    });
    afterAll(() => c?.stop());

    test('gives up in bounded time with a non-zero exit and FAILURE naming the reason', () => {
      expect(run.code).toBe(1);
      expect(run.seconds).toBeLessThan(30);
      expect(outcomes(c, cloud)).toEqual([
        `FAILURE: could not download the agent package from https://${MANAGER_HOST}:4119 after 3 attempts; check the manager URL, proxy and outbound HTTPS`,
      ]);
      expect(c.exists('Program Files/Trend Micro/Deep Security Agent')).toBe(false);
    });
  });

  describeE2e('the secret\'s grant not yet propagated: permission errors retried past the attempt count', () => {
    let c: WindowsBootScriptCase;
    let run: RunResult;

    beforeAll(async () => {
      c = await startCase({ secretDeniedReads: 5 });
      run = await c.run(script(cloud), FAST);
    });
    afterAll(() => c?.stop());

    test('one log line per refused read, then the token, then activation', () => {
      expect(run.code).toBe(0);
      const refusals = c.readFile('ProgramData/dskit/dskit-agent.log').split('\n').filter((l) => /reading the activation token, attempt \d+: /.test(l));
      expect(refusals).toHaveLength(5);
      for (const line of refusals) expect(line).toMatch(cloud === 'aws' ? /AccessDeniedException/ : /403/);
      expect(outcomes(c, cloud)).toEqual([expect.stringMatching(/^SUCCESS: activated/)]);
    });
  });

  describeE2e('a short budget: every retry loop stops at the deadline', () => {
    let c: WindowsBootScriptCase;
    let run: RunResult;

    beforeAll(async () => {
      // GCP: the manager never answers; AWS: the grant never propagates. Both would retry far longer.
      c = cloud === 'gcp' ? await startCase({ managerUpAfterMs: null }) : await startCase({ secretDeniedReads: 1000 });
      run = await c.run(script(cloud, { budgetSeconds: 6 }), { ...FAST, DSKIT_ATTEMPTS: '50' });
    });
    afterAll(() => c?.stop());

    test('FAILURE with its own reason, saying the budget ran out, within the budget', () => {
      expect(run.code).toBe(1);
      // Without the deadline, 50 attempts 2 s apart would take over a minute and a half.
      expect(run.seconds).toBeLessThan(30);
      const log = c.readFile('ProgramData/dskit/dskit-agent.log');
      const at = (what: RegExp) => Date.parse(log.split('\n').find((l) => what.test(l))!.split(' ')[0]);
      expect((at(/FAILED: /) - at(/boot script started/)) / 1000).toBeLessThanOrEqual(6 + 1);
      const [outcome, ...more] = outcomes(c, cloud);
      expect(more).toEqual([]);
      expect(outcome).toMatch(
        cloud === 'gcp'
          ? /^FAILURE: could not download the agent package from \S+ after \d+ attempts, when the run's 6s budget ran out; /
          : /^FAILURE: could not read the activation token from secret dskit-e2e-activation-token: .*AccessDeniedException.* \(after \d+ attempts, when the run's 6s budget ran out\)$/,
      );
    });
  });

  describeE2e('packages that must not be installed', () => {
    const cases = (
      [
        ['tampered after signing', () => msis.tampered, /the MSI's Authenticode signature is HashMismatch; refusing to install it/],
        ['unsigned', () => msis.unsigned, /the MSI's Authenticode signature is NotSigned/],
        ['signed by someone else', () => msis.otherSigner, /the MSI is signed by CN=Example Software, O=Example Software, C=US, not Trend Micro/],
        ['truncated', () => msis.truncated, /Authenticode signature is HashMismatch/],
        ['an HTML error page', () => msis.htmlPage, /the downloaded agent package is not an MSI/],
      ] as const
    ).filter(([name]) => cloud === 'gcp' || name === 'tampered after signing');
    const runs = new Map<string, { c: WindowsBootScriptCase; run: RunResult }>();

    beforeAll(async () => {
      for (const [name, file] of cases) {
        const c = await startCase({ packageFile: file() });
        runs.set(name, { c, run: await c.run(script(cloud), FAST) });
      }
    });
    afterAll(async () => {
      for (const { c } of runs.values()) await c.stop();
    });

    test.each(cases)('%s: not installed, FAILURE with the reason', (name, _file, reason) => {
      const { c, run } = runs.get(name)!;
      expect(run.code).toBe(1);
      const [outcome, ...more] = outcomes(c, cloud);
      expect(more).toEqual([]);
      expect(outcome).toMatch(/^FAILURE: /);
      expect(outcome).toMatch(reason);
      expect(c.standInCalls('msiexec.exe')).toEqual([]);
      expect(c.exists('Program Files/Trend Micro/Deep Security Agent')).toBe(false);
      expect(c.ofType('agent-command')).toEqual([]);
    });
  });
});

describeE2e('GCP Windows boot script through a proxy', () => {
  let c: WindowsBootScriptCase;
  let run: RunResult;
  const proxy = `http://${CLOUD_API_ADDRESS}:${PROXY_PORT}`;

  beforeAll(async () => {
    c = await startCase({ proxy: true });
    run = await c.run(script('gcp', { proxy }), FAST);
  });
  afterAll(() => c?.stop());

  test('the download and the secret read go through the proxy', () => {
    expect(run.code).toBe(0);
    expect(c.ofType('proxy-connect').map((e) => e.target)).toEqual(expect.arrayContaining([`${MANAGER_HOST}:4119`, 'secretmanager.googleapis.com:443']));
  });

  test('the agent is reset first, then gets the proxy (manager and relays), then activates', () => {
    const commands = c.ofType('agent-command');
    expect(commands.map((e) => e.command)).toEqual(['reset', 'x', 'y', 'activate']);
    expect(commands[1].args).toEqual(['-x', `dsm_proxy://${CLOUD_API_ADDRESS}:${PROXY_PORT}/`]);
    expect(commands[2].args).toEqual(['-y', `relay_proxy://${CLOUD_API_ADDRESS}:${PROXY_PORT}/`]);
    expect(outcomes(c, 'gcp')).toEqual([expect.stringMatching(/^SUCCESS: activated; warning: event shipping: /)]);
  });
});
