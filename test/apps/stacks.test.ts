import { App } from 'aws-cdk-lib';
import { Testing } from 'cdktf';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { GcpSandboxStack } from '../../stacks/gcp-sandbox-stack';
import { configWith } from '../helpers/config';

describe('sandbox stacks carry the sandbox identity', () => {
  test('AWS stack: tags dskit-sandbox and owner, region from the config', () => {
    const app = new App();
    const stack = new AwsSandboxStack(app, 'lab-aws', { config: configWith((r) => (r.name = 'lab')), env: { region: 'eu-west-1' } });
    app.synth(); // tags are applied as aspects, at synth
    expect(stack.tags.tagValues()).toEqual({ 'dskit-sandbox': 'lab', owner: 'secops@example.com' });
    expect(stack.region).toBe('eu-west-1');
  });

  test('GCP stack: local state by default, GCS state when gcp.stateBucket is set', () => {
    const local = JSON.parse(Testing.synth(new GcpSandboxStack(Testing.app(), 'lab-gcp', { config: configWith() })));
    // In the project root, seen from cdktf.out/stacks/lab-gcp/ where Terraform runs (test/gcp/state.test.ts).
    expect(local.terraform.backend.local).toEqual({ path: '../../../terraform.lab-gcp.tfstate' });
    const gcs = JSON.parse(
      Testing.synth(new GcpSandboxStack(Testing.app(), 'lab-gcp', { config: configWith((r) => (r.gcp.stateBucket = 'lab-tf-state')) })),
    );
    expect(gcs.terraform.backend.gcs).toEqual({ bucket: 'lab-tf-state', prefix: 'dskit/ds-eval' });
  });
});

describe('GCP provider labels', () => {
  test('default_labels keep the dskit-sandbox key as written', () => {
    const tf = JSON.parse(Testing.synth(new GcpSandboxStack(Testing.app(), 'x', { config: configWith() })));
    expect(tf.provider.google[0].default_labels).toEqual({ 'dskit-sandbox': 'ds-eval', owner: 'secops_at_example_com' });
  });
});
