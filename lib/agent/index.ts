/**
 * Boot-script rendering (SPEC §4). PLACEHOLDER interface: the agent-script work replaces the
 * implementation; the signature is what the AWS and GCP stacks build on.
 */
import { displayName, vmsOf, type Cloud, type SandboxConfig, type VmConfig } from '../config';

export type ScriptPlatform = 'linux' | 'windows';

/** What only the cloud knows at synth time (values may be CDK tokens / Terraform expressions). */
export interface AwsScriptParams {
  readonly cloud: 'aws';
  /** Region of the stack (Secrets Manager endpoint). */
  readonly region: string;
  /** The CloudFormation wait condition handle's pre-signed URL the script signals. */
  readonly waitHandleUrl: string;
  /** CloudWatch Logs group the events are shipped to: `/dskit/<sandbox>/ds-events`. */
  readonly logGroupName: string;
}

export interface GcpScriptParams {
  readonly cloud: 'gcp';
  /** Project holding the token secret (Secret Manager endpoint). */
  readonly project: string;
  /** Cloud Logging log name the Ops Agent writes events to. */
  readonly logName: string;
}

export type CloudScriptParams = AwsScriptParams | GcpScriptParams;

export interface BootScript {
  readonly platform: ScriptPlatform;
  /** `<sandbox>-<cloud>-<vm>-<n>` */
  readonly displayName: string;
  /** The complete script: bash for Linux; PowerShell (AWS: wrapped in <powershell>) for Windows. */
  readonly script: string;
}

export function platformOf(vm: VmConfig): ScriptPlatform {
  return vm.os.startsWith('windows') ? 'windows' : 'linux';
}

export function findVm(config: SandboxConfig, cloud: Cloud, vmName: string): VmConfig {
  const vm = vmsOf(config, cloud).find((v) => v.name === vmName);
  if (!vm) throw new Error(`no VM named "${vmName}" under ${cloud}.vms`);
  return vm;
}

/** Render the boot script of the `index`-th (from 1) instance of a VM. */
export function renderBootScript(config: SandboxConfig, vm: VmConfig, index: number, params: CloudScriptParams): BootScript {
  const name = displayName(config.name, params.cloud, vm.name, index);
  const platform = platformOf(vm);
  const script =
    platform === 'linux'
      ? `#!/bin/bash\n# PLACEHOLDER boot script for ${name}\n`
      : `${params.cloud === 'aws' ? '<powershell>\n' : ''}# PLACEHOLDER boot script for ${name}\n${params.cloud === 'aws' ? '</powershell>\n' : ''}`;
  return { platform, displayName: name, script };
}
