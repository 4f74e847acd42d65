import * as path from 'node:path';
import { App, TerraformResource, TerraformStack, anyToTerraform, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { ComputeInstance } from '@cdktf/provider-google/lib/compute-instance';
import type { WaitSpec } from './activation-wait';

/** Windows VMs take a while to boot and install; a failed VM answers at once. */
export const DEFAULT_ACTIVATION_TIMEOUT_MINUTES = 30;

const MAIN = path.join(__dirname, 'activation-wait-main.ts');

/** The first Terraform with the built-in terraform_data resource. */
export const MIN_TERRAFORM_VERSION = '1.4';

export interface ActivationCheckProps {
  readonly project: string;
  readonly zone: string;
  /** The instances to wait for, by name. */
  readonly instanceNames: readonly string[];
  /** The instances themselves: the wait starts once they exist, and again for a replaced one (their ids). */
  readonly instances: readonly ComputeInstance[];
  /** @default DEFAULT_ACTIVATION_TIMEOUT_MINUTES */
  readonly timeoutMinutes?: number;
}

/**
 * A `terraform_data` resource. cdktf's own DataResource adds a synth-time validation that runs
 * `terraform version`, so synth would fail wherever Terraform is not installed (SPEC: synth needs
 * nothing but Node). The deploy runs Terraform anyway, which knows `terraform_data` from 1.4.
 */
class TerraformDataResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly triggersReplace: unknown,
    dependsOn: ITerraformDependable[],
  ) {
    super(scope, id, { terraformResourceType: 'terraform_data', terraformGeneratorMetadata: { providerName: 'terraform' }, dependsOn });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { triggers_replace: anyToTerraform(this.triggersReplace) };
  }
}

/**
 * Makes `cdktf deploy` wait until every agent has activated, and fail with the VM's reason when
 * one has not (SPEC §1: "the same" as AWS's wait conditions). A terraform_data resource runs
 * activation-wait-main.ts, which polls each VM's `dskit/status` guest attribute. Names and ids only:
 * nothing secret is on its command line.
 */
export class ActivationCheck extends Construct {
  public readonly resource: TerraformResource;
  public readonly spec: WaitSpec;

  constructor(scope: Construct, id: string, props: ActivationCheckProps) {
    super(scope, id);
    const timeoutMinutes = props.timeoutMinutes ?? DEFAULT_ACTIVATION_TIMEOUT_MINUTES;
    if (!(timeoutMinutes > 0 && timeoutMinutes <= 720)) {
      throw new Error(`activation timeout: got ${timeoutMinutes} minutes; allowed: 1-720`);
    }
    if (props.instanceNames.length === 0) throw new Error('ActivationCheck needs at least one instance');
    this.spec = { project: props.project, zone: props.zone, instances: [...props.instanceNames], timeoutMinutes };

    this.resource = new TerraformDataResource(this, 'wait', { instance_ids: props.instances.map((i) => i.id) }, [...props.instances]);
    // terraform_data is built in (nothing to download) from Terraform 1.4: an older one should say
    // so at init rather than fail the plan on an unknown resource type.
    TerraformStack.of(this).addOverride('terraform.required_version', `>= ${MIN_TERRAFORM_VERSION}`);
    // Terraform runs the command in the stack's output directory: paths relative to it keep
    // cdk.tf.json free of this machine's absolute paths.
    const outdir = path.join(App.of(this).outdir, 'stacks', TerraformStack.of(this).node.id);
    const fromOutdir = (file: string) => path.relative(outdir, file).split(path.sep).join('/');
    this.resource.provisioners = [
      {
        type: 'local-exec',
        interpreter: ['node', '--require', fromOutdir(require.resolve('tsx/cjs')), fromOutdir(MAIN)],
        command: JSON.stringify(this.spec),
      },
    ];
  }
}
