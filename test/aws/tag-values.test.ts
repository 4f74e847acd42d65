/**
 * Values that become AWS tags (and GCP labels) are refused in the config, before anything is
 * synthesized, because IAM and Firehose refuse them at deploy time, half-way through. The
 * CloudFormation schema check of aws-cdk-lib (errors enforced, as in cfn-validate.test.ts) is
 * what reports them as FATAL (F3031) on a template that bypassed the config's check.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../lib/config';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { configWith } from '../helpers/config';

function problemsFor(owner: string): readonly string[] {
  try {
    configWith((r) => (r.owner = owner));
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('owner: a value AWS tags and GCP labels accept', () => {
  test.each([['Jane Doe'], ['secops@example.com'], ['Jürgen Müller'], ['team:sec/ops=1+2_a.b-c'], ['東京 チーム']])('%s is accepted', (owner) => {
    expect(problemsFor(owner)).toEqual([]);
  });

  test('"Jane Doe (SecOps)" is refused with one line: the key, the value and the allowed characters', () => {
    expect(problemsFor('Jane Doe (SecOps)')).toEqual([
      'test.yaml: owner: got "Jane Doe (SecOps)"; becomes the AWS tag `owner`: only letters, digits, spaces and _ . : / = + - @ (IAM and Firehose refuse anything else)',
    ]);
  });

  test.each([['semi;colon'], ['quote"d'], ['a,b'], ['tab\there'], ['emoji 😀']])('%j is refused', (owner) => {
    expect(problemsFor(owner)).toEqual([expect.stringContaining('only letters, digits, spaces and _ . : / = + - @')]);
  });

  test('more than 256 characters is refused', () => {
    expect(problemsFor('a'.repeat(257))).toEqual([
      expect.stringMatching(/owner: got "a+\.\.\.; becomes the AWS tag `owner`: at most 256 characters$/),
      expect.stringMatching(/owner: got "a+\.\.\.; becomes the GCP label `owner` "a{63}\.\.\.", 257 characters; GCP allows 63/),
    ]);
  });

  test('an owner whose GCP label would be cut is refused, naming the label and its length', () => {
    // 64 characters as a label: fine as an AWS tag, one too many for GCP.
    const owner = `${'security.operations.team'.repeat(2)}x@example.com`;
    expect(problemsFor(owner)).toEqual([
      `test.yaml: owner: got "${owner}"; becomes the GCP label \`owner\` "${'security_operations_team'.repeat(2)}x_at_example_co...", 64 characters; GCP allows 63 (an @ counts as "_at_")`,
    ]);
  });
});

describe('aws-cdk-lib\'s CloudFormation validation reports a bad tag value as FATAL', () => {
  let violations: { rule: string; path: string }[];
  beforeAll(() => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-tags-'));
    try {
      const app = new App({ outdir, postCliContext: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
      // What the config refuses, forced past it: the template check must still catch it.
      new AwsSandboxStack(app, 'tags', { config: { ...configWith(), owner: 'Jane Doe (SecOps)' }, env: { region: 'ap-northeast-1' } });
      expect(() => app.synth()).toThrow(/F3031/);
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      const cfn = report.pluginReports.find((r: any) => r.pluginName === 'CloudFormation Validate');
      violations = cfn.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => ({ rule: v.ruleName, path: c.constructPath })));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('F3031 on the IAM roles and the Firehose stream that carry the owner tag', () => {
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(['F3031']));
    expect(violations.map((v) => v.path)).toEqual(expect.arrayContaining(['tags/InstanceRole/Role/Resource', 'tags/Events/DeliveryStream/Resource']));
  });
});
