import * as path from 'node:path';
import { App, TerraformStack, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { WaitSpec } from './activation-wait';
import { stackWorkDir } from './state';
import { MIN_TERRAFORM_VERSION, TerraformData } from './terraform-data';
import type { SandboxVm } from './vm';

const MAIN = path.join(__dirname, 'activation-wait-main.ts');

export interface ActivationCheckProps {
  readonly project: string;
  readonly zone: string;
  /** The VMs to wait for: their names, and their instances (the wait runs once they exist). */
  readonly vms: readonly SandboxVm[];
  /** `gcp.activationTimeoutMinutes` (the config allows 5-720). */
  readonly timeoutMinutes: number;
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
    const { timeoutMinutes } = props;
    if (!(Number.isInteger(timeoutMinutes) && timeoutMinutes >= 5 && timeoutMinutes <= 720)) {
      throw new Error(`gcp.activationTimeoutMinutes: got ${timeoutMinutes}; allowed: 5-720`);
    }
    if (props.vms.length === 0) throw new Error('ActivationCheck needs at least one VM');
    this.spec = { project: props.project, zone: props.zone, instances: props.vms.map((v) => v.name), timeoutMinutes };

    // Runs again whenever a VM is replaced (new id) or its boot script changes (SandboxVm replaces
    // the VM then): an update is gated like a first deploy, never reported for a script that did not run.
    this.resource = new TerraformData(this, 'wait', {
      triggersReplace: {
        instance_ids: props.vms.map((v) => v.instance.id),
        boot_script_sha256: props.vms.map((v) => v.bootScriptSha256),
      },
      dependsOn: props.vms.map((v) => v.instance),
    });
    // terraform_data is built in (nothing to download) from Terraform 1.4: an older one should say
    // so at init rather than fail the plan on an unknown resource type.
    TerraformStack.of(this).addOverride('terraform.required_version', `>= ${MIN_TERRAFORM_VERSION}`);
    // Terraform runs the command in the stack's output directory: paths relative to it keep
    // cdk.tf.json free of this machine's absolute paths.
    const workDir = stackWorkDir(App.of(this).outdir, TerraformStack.of(this).node.id);
    const fromOutdir = (file: string) => path.relative(workDir, file).split(path.sep).join('/');
    this.resource.provisioners = [
      {
        type: 'local-exec',
        interpreter: ['node', '--require', fromOutdir(require.resolve('tsx/cjs')), fromOutdir(MAIN)],
        command: JSON.stringify(this.spec),
      },
    ];
  }
}
