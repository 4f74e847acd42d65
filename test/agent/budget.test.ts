/** The boot script's budget follows each cloud's activation timeout, so a VM reports FAILURE before the cloud's wait times out. */
import { findVm, renderBootScript } from '../../lib/agent';
import { OUTCOME_MARGIN_SECONDS, scriptBudgetSeconds } from '../../lib/agent/settings';
import { configWith } from '../helpers/config';

const config = configWith((raw) => {
  raw.policy = { id: 9 };
  raw.aws.activationTimeoutMinutes = 45;
  raw.gcp.activationTimeoutMinutes = 5;
  raw.aws.vms = [{ name: 'lin', os: 'debian-12' }, { name: 'win', os: 'windows-2022' }];
  raw.gcp.vms = [{ name: 'lin', os: 'debian-12' }, { name: 'win', os: 'windows-2022' }];
});
const aws = { cloud: 'aws', region: 'ap-northeast-1', waitHandleUrl: 'https://example.invalid/h', logGroupName: '/dskit/x' } as const;
const gcp = { cloud: 'gcp', project: 'my-project', logName: 'ds-events' } as const;

describe('script budget', () => {
  test('is the timeout less the outcome margin, never under 3 minutes', () => {
    expect(scriptBudgetSeconds(45)).toBe(45 * 60 - OUTCOME_MARGIN_SECONDS);
    expect(scriptBudgetSeconds(5)).toBe(180);
  });

  test('gcp.activationTimeoutMinutes defaults like aws.activationTimeoutMinutes and has the same bounds', () => {
    expect(configWith().gcp?.activationTimeoutMinutes).toBe(20);
    expect(() => configWith((raw) => (raw.gcp.activationTimeoutMinutes = 721))).toThrow(/gcp\.activationTimeoutMinutes: got 721; must be <= 720/);
  });

  test.each([
    ['aws', 'lin', `DSKIT_BUDGET_SECONDS='${45 * 60 - OUTCOME_MARGIN_SECONDS}'`],
    ['aws', 'win', `$BudgetSeconds = ${45 * 60 - OUTCOME_MARGIN_SECONDS}`],
    ['gcp', 'lin', "DSKIT_BUDGET_SECONDS='180'"],
    ['gcp', 'win', '$BudgetSeconds = 180'],
  ] as const)('%s %s renders its cloud budget', (cloud, vm, line) => {
    const boot = renderBootScript(config, findVm(config, cloud, vm), 1, cloud === 'aws' ? aws : gcp);
    expect(boot.readable).toContain(`${line}\n`);
  });
});
