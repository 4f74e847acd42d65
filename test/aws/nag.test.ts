/** cdk-nag AwsSolutions: every finding on the app is fixed or acknowledged with a reason. */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SandboxConfig } from '../../lib/config';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { configWith } from '../helpers/config';

function unacknowledgedErrors(config: SandboxConfig): string[] {
  const app = new App();
  new AwsSandboxStack(app, 'nag', { config, env: { region: 'ap-northeast-1' } });
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations
    .filter((v) => v.severity === 'error')
    .flatMap((v) => v.violatingResources.map((r: any) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`));
}

describe('AwsSolutions on the bundled example', () => {
  let errors: string[];
  beforeAll(() => (errors = unacknowledgedErrors(configWith())));
  test('no unacknowledged errors', () => expect(errors).toEqual([]));
});

describe('AwsSolutions on a honeypot sandbox', () => {
  let errors: string[];
  beforeAll(
    () =>
      (errors = unacknowledgedErrors(
        configWith((r) => {
          r.exposure.mode = 'honeypot';
          r.exposure.acknowledgeCloudTerms = true;
          r.exposure.adminCidrs = ['203.0.113.0/24'];
        }),
      )),
  );
  test('no unacknowledged errors: the open ports are acknowledged as the point of a honeypot', () => expect(errors).toEqual([]));
});

describe('the checks do catch what is not acknowledged', () => {
  test('an instance without its monitoring acknowledgement fails EC28', () => {
    const app = new App();
    const stack = new AwsSandboxStack(app, 'nag', { config: configWith(), env: { region: 'ap-northeast-1' } });
    // Strip the acknowledgements recorded on the first VM's instance.
    const instance = stack.vms[0].instance;
    const meta = instance.node.metadata as any[];
    (instance.node as any)._metadata = meta.filter((m) => !JSON.stringify(m).includes('EC28'));
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const ec28 = report.violations.filter((v) => v.ruleName === 'AwsSolutions-EC28');
    expect(ec28.flatMap((v) => v.violatingResources.map((r: any) => r.constructPath))).toEqual([expect.stringContaining('Vm-web-1')]);
  });
});
