import { displayName, expectedComputers, managerEndpoints, placeholderProblems } from '../../lib/config';
import { configWith } from '../helpers/config';

describe('names derived from the config', () => {
  test('display names are <sandbox>-<cloud>-<vm>-<n>, n from 1', () => {
    expect(displayName('ds-eval', 'aws', 'web', 1)).toBe('ds-eval-aws-web-1');
    expect(() => displayName('ds-eval', 'aws', 'web', 0)).toThrow(RangeError);
  });

  test('expected computers follow counts, clouds and policy overrides', () => {
    const cfg = configWith((r) => {
      r.aws.vms[0].count = 2;
      r.aws.vms[1].policy = { id: 10, groupId: 4 };
      r.gcp.vms[1].count = 0;
    });
    const all = expectedComputers(cfg);
    expect(all.map((c) => c.displayName)).toEqual(['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1']);
    expect(all[2].policy).toEqual({ id: 10, name: undefined, groupId: 4, relayGroupId: 0 });
    expect(all[0].policy).toEqual({ id: 9, groupId: 0, relayGroupId: 0 });
    expect(expectedComputers(cfg, ['gcp']).map((c) => c.displayName)).toEqual(['ds-eval-gcp-web-1']);
  });

  test('manager endpoints: Workload Security from the region, DSM as given, --manager-url overrides', () => {
    const ws = configWith();
    expect(managerEndpoints(ws.manager)).toEqual({
      url: 'https://workload.us-1.cloudone.trendmicro.com',
      activationUrl: 'dsm://agents.workload.us-1.cloudone.trendmicro.com:443/',
    });
    const dsm = configWith((r) => {
      r.manager = { type: 'dsm', url: 'https://dsm.lab.internal:4119', activationUrl: 'dsm://dsm.lab.internal:4120/', activationTokenSecret: 't' };
    });
    expect(managerEndpoints(dsm.manager, 'https://10.0.0.5:4119/')).toEqual({
      url: 'https://10.0.0.5:4119',
      activationUrl: 'dsm://dsm.lab.internal:4120/',
    });
  });

  test('the example is full of placeholders; real values are not', () => {
    expect(placeholderProblems(configWith()).map((p) => p.path)).toEqual(['manager.tenantId', 'manager.tenantNumericId', 'gcp.project']);
    const real = configWith((r) => {
      r.manager.tenantId = '11111111-2222-3333-4444-555555555555';
      r.manager.tenantNumericId = 123456;
      r.gcp.project = 'secops-lab-1';
    });
    expect(placeholderProblems(real)).toEqual([]);
  });
});
