/**
 * The boot scripts, run for real in the Debian 12 rootfs (support/harness.ts), while the secret
 * store still refuses the VM's identity: the grant the deploy just made has not propagated
 * (Google documents usually 2 minutes, sometimes 7 or more; IAM is eventually consistent on AWS
 * too). The script keeps trying within its budget and activates once the grant arrives. Skips
 * loudly outside CI without root.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { findVm, renderBootScript } from '../../lib/agent';
import { configWith } from '../helpers/config';
import { AWS_REGION, WAIT_HANDLE_HOST, buildAssets, type TestAssets } from './support/assets';
import { BootScriptCase, doubleManager, e2eSkipReason, type RunResult } from './support/harness';

const skipReason = e2eSkipReason();
if (skipReason) console.warn(`\n*** SKIPPING the IAM propagation end-to-end test: ${skipReason}. Under CI=true it runs. ***\n`);
const describeE2e = skipReason ? describe.skip : describe;

jest.setTimeout(300_000);

const config = configWith((raw) => {
  raw.manager = doubleManager();
  raw.policy = { id: 9 };
  raw.gcp.project = 'dskit-e2e-project';
  raw.gcp.vms = [{ name: 'web', os: 'debian-12', count: 1 }];
  raw.aws.region = AWS_REGION;
  raw.aws.vms = [{ name: 'web', os: 'debian-12', count: 1 }];
});

describeE2e('GCP boot script while the secret grant propagates', () => {
  const token = randomUUID().toUpperCase();
  let assets: TestAssets;
  let c: BootScriptCase;
  let run: RunResult;

  beforeAll(async () => {
    assets = buildAssets(fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-iam-assets-')));
    c = new BootScriptCase({ assets, token, packageFile: assets.signedDeb, managerUpAfterMs: 0, secretDeniedReads: 4 });
    await c.start();
    const script = renderBootScript(config, findVm(config, 'gcp', 'web'), 1, { cloud: 'gcp', project: 'dskit-e2e-project', logName: 'ds-events', signingKey: assets.signingKeyArmored }).script;
    // DSKIT_ATTEMPTS 2: the old loop gave up after that many refusals; this one waits them out.
    run = await c.run(script, { DSKIT_ATTEMPTS: '2', DSKIT_BACKOFF_CAP: '1', DSKIT_READY_TIMEOUT: '30' });
  });
  afterAll(async () => {
    await c?.stop();
    if (assets) fs.rmSync(assets.dir, { recursive: true, force: true });
  });

  test('keeps asking past DSKIT_ATTEMPTS while Secret Manager says 403, then activates', () => {
    expect(run.code).toBe(0);
    // Four refusals against DSKIT_ATTEMPTS 2: the old loop gave up after two.
    const refusals = c.ofType('secret-denied').length;
    expect(refusals).toBe(4);
    const log = c.readFile('var/log/dskit-agent.log');
    const tries = log.split('\n').filter((l) => l.includes('reading the activation token, attempt'));
    // One line per refused try, each with the service's own reason and the time left.
    expect(tries).toHaveLength(refusals);
    expect(tries[0]).toMatch(/attempt 1: Secret Manager refused secret dskit-e2e-activation-token to the VM's service account \(HTTP 403: Permission 'secretmanager\.versions\.access' denied .*\); retrying in 1s \(\d+s of the run's budget left\)$/);
    expect(c.ofType('agent-command').map((e) => e.command)).toEqual(['reset', 'activate']);
    expect(c.ofType('guest-attribute').at(-1)?.value).toMatch(/^activated/);
  });

  test('the token is in no log, output or file the run wrote', () => {
    expect(run.output).not.toContain(token);
    expect(c.filesContaining(token)).toEqual([]);
  });
});

describeE2e('AWS boot script while the secret grant propagates', () => {
  const token = randomUUID().toUpperCase();
  let assets: TestAssets;
  let c: BootScriptCase;
  let run: RunResult;

  beforeAll(async () => {
    assets = buildAssets(fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-iam-assets-')));
    c = new BootScriptCase({ assets, token, packageFile: assets.signedDeb, managerUpAfterMs: 0, secretDeniedReads: 4 });
    await c.start();
    const script = renderBootScript(config, findVm(config, 'aws', 'web'), 1, {
      cloud: 'aws',
      region: AWS_REGION,
      waitHandleUrl: `https://${WAIT_HANDLE_HOST}/arn%3Aaws%3Acloudformation/handle?X-Amz-Signature=abc`,
      logGroupName: '/dskit/ds-eval/ds-events',
      signingKey: assets.signingKeyArmored,
    }).script;
    run = await c.run(script, { DSKIT_ATTEMPTS: '2', DSKIT_BACKOFF_CAP: '1', DSKIT_READY_TIMEOUT: '30' });
  });
  afterAll(async () => {
    await c?.stop();
    if (assets) fs.rmSync(assets.dir, { recursive: true, force: true });
  });

  test('retries AccessDeniedException past DSKIT_ATTEMPTS, one log line per try, then activates', () => {
    expect(run.code).toBe(0);
    expect(c.ofType('secret-denied')).toHaveLength(4);
    const tries = c.readFile('var/log/dskit-agent.log').split('\n').filter((l) => l.includes('reading the activation token, attempt'));
    expect(tries).toHaveLength(4);
    expect(tries[0]).toMatch(/attempt 1: Secrets Manager GetSecretValue with role dskit-test-role: HTTP 400 AccessDeniedException .*not authorized to perform: secretsmanager:GetSecretValue.*; retrying in 1s/);
    expect(c.ofType('agent-command').map((e) => e.command)).toEqual(['reset', 'activate']);
    expect(c.ofType('wait-condition').at(-1)?.signal).toMatchObject({ Status: 'SUCCESS' });
  });

  test('the token is in no log, output or file the run wrote', () => {
    expect(run.output).not.toContain(token);
    expect(c.filesContaining(token)).toEqual([]);
  });
});
