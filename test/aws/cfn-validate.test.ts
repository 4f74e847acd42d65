/**
 * CloudFormation schema validation (aws-cdk-lib's built-in "CloudFormation Validate", errors
 * enforced). The CDK app turns it off to keep `cdk deploy` fast; these configs cover every
 * resource the stack can make, so the templates are still checked.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { SandboxConfig } from '../../lib/config';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { configWith } from '../helpers/config';

interface Findings {
  readonly violations: string[];
  readonly acknowledged: string[];
}

/** A plugin that found nothing is left out of the report. */
function validationFindings(config: SandboxConfig): Findings {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-cfnval-'));
  try {
    const app = new App({ outdir, postCliContext: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    new AwsSandboxStack(app, 'val', { config, env: { region: 'ap-northeast-1' } });
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const cfn = report.pluginReports.find((r: any) => r.pluginName === 'CloudFormation Validate');
    return {
      violations: (cfn?.violations ?? []).map((v: any) => `${v.ruleName} ${v.description}`),
      acknowledged: (cfn?.suppressedViolations ?? []).map((v: any) => v.ruleName),
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('CloudFormation Validate on the bundled example', () => {
  let findings: Findings;
  beforeAll(() => (findings = validationFindings(configWith())));
  test('no errors or warnings, and none acknowledged', () => expect(findings).toEqual({ violations: [], acknowledged: [] }));
});

describe('CloudFormation Validate on a honeypot with every public-image OS', () => {
  let findings: Findings;
  beforeAll(
    () =>
      (findings = validationFindings(
        configWith((r) => {
          r.exposure = { mode: 'honeypot', acknowledgeCloudTerms: true, adminCidrs: ['203.0.113.0/24'], honeypotPorts: [22, 1433, 3389] };
          r.aws.vms = [
            { name: 'a', os: 'amazon-linux-2023', arch: 'arm64', count: 1 },
            { name: 'u', os: 'ubuntu-22.04', count: 1 },
            { name: 'n', os: 'ubuntu-24.04', count: 1 },
            { name: 'd', os: 'debian-12', count: 1 },
            { name: 'w', os: 'windows-2022', count: 1 },
          ];
        }),
      )),
  );
  test('no errors or warnings beyond the acknowledged open honeypot ports', () => {
    expect(findings.violations).toEqual([]);
    expect(findings.acknowledged.length).toBeGreaterThan(0);
    expect(new Set(findings.acknowledged)).toEqual(new Set(['W2508']));
  });
});
