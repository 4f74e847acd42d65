import { createHash } from 'node:crypto';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ComputeInstance } from '@cdktf/provider-google/lib/compute-instance';
import type { ScriptPlatform } from '../agent';
import { GCP_MAX_RUN_HOURS } from '../config/cross-field';
import { imageFamilyFor } from './images';
import { LINUX_TAG, WINDOWS_TAG } from './network';
import { TerraformData } from './terraform-data';

/** Compute Engine deletes a VM at most this long after it starts (max_run_duration's upper bound). */
export const MAX_RUN_HOURS = GCP_MAX_RUN_HOURS;

/** Metadata values are limited to 256 KB each. */
const METADATA_VALUE_LIMIT = 256 * 1024;

const INSTANCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The metadata key Compute Engine runs at every boot, per platform. */
export const STARTUP_SCRIPT_KEY: Readonly<Record<ScriptPlatform, string>> = {
  linux: 'startup-script',
  windows: 'windows-startup-script-ps1',
};

export interface SandboxVmProps {
  /** Instance name; also the agent's display name in the manager (`<sandbox>-gcp-<vm>-<n>`). */
  readonly name: string;
  readonly zone: string;
  /** @default 'e2-medium' */
  readonly machineType?: string;
  /** A `gcp.vms[].os` value; selects the public image family. */
  readonly os: string;
  readonly platform: ScriptPlatform;
  /** The boot script from lib/agent, run as the startup script. Holds no secret (it reads the token at boot). */
  readonly bootScript: string;
  /** Subnetwork id or self link. */
  readonly subnetwork: string;
  /** @default false — give the VM an ephemeral public IPv4 address (honeypot mode, adminCidrs). */
  readonly publicAddress?: boolean;
  /** The VM's service account email; scopes are cloud-platform and IAM decides. */
  readonly serviceAccountEmail: string;
  /** Labels, keys and values already GCP-valid. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Compute Engine deletes the VM this many hours after it starts (scheduling.max_run_duration
   * with instance_termination_action DELETE). 0 = never.
   * @default 0
   */
  readonly maxRunHours?: number;
  /**
   * UEFI Secure Boot. Off for Linux by default: the agent's kernel modules (anti-malware, firewall,
   * IPS, integrity monitoring, web reputation, application control) are signed with Trend Micro's
   * own key, which a public image's UEFI database does not hold, so under Secure Boot they do not
   * load and the agent reports "Engine Offline". Windows drivers are Microsoft-signed.
   * vTPM and integrity monitoring stay on either way.
   * @default true for Windows, false for Linux
   */
  readonly secureBoot?: boolean;
  /** What must exist before the VM boots (its IAM grants, the event sink). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One protected VM: a public image, Shielded VM (Secure Boot per `secureBoot`), guest attributes on (the boot script reports
 * `dskit/status` there), the boot script as its startup script, and an optional time to live.
 */
export class SandboxVm extends Construct {
  public readonly instance: ComputeInstance;
  /** The instance name (also the agent's display name). */
  public readonly name: string;
  /** SHA-256 of the boot script: a change replaces the VM, so the new script runs on a fresh boot. */
  public readonly bootScriptSha256: string;
  /** Holds the script's hash; the instance is replaced whenever it changes. */
  public readonly bootScriptVersion: TerraformData;

  constructor(scope: Construct, id: string, props: SandboxVmProps) {
    super(scope, id);
    validate(props);
    this.name = props.name;
    this.bootScriptSha256 = createHash('sha256').update(props.bootScript, 'utf8').digest('hex');
    // Compute Engine updates a startup-script metadata change in place and runs it only at the next
    // boot, so a deploy would report success for a script that never ran. Replacing the VM makes it
    // run; Windows' windows-startup-script-ps1 has no replacing attribute like Linux's
    // metadata_startup_script (provider 6.50 website/docs/r/compute_instance.html.markdown), so one
    // mechanism serves both: replace_triggered_by on a terraform_data holding the script's hash.
    this.bootScriptVersion = new TerraformData(this, 'boot-script', { input: this.bootScriptSha256 });
    const maxRunHours = props.maxRunHours ?? 0;
    const metadata: Record<string, string> = {
      'enable-guest-attributes': 'TRUE',
      [STARTUP_SCRIPT_KEY[props.platform]]: props.bootScript,
    };
    if (props.platform === 'linux') metadata['enable-oslogin'] = 'TRUE';

    this.instance = new ComputeInstance(this, 'instance', {
      name: props.name,
      zone: props.zone,
      machineType: props.machineType ?? 'e2-medium',
      labels: { ...props.labels },
      tags: [props.platform === 'windows' ? WINDOWS_TAG : LINUX_TAG],
      // The boot disk is a resource of its own: labelled too, so a disk left behind is found by label
      // (initialize_params.labels, provider 6.50 website/docs/r/compute_instance.html.markdown).
      bootDisk: { autoDelete: true, initializeParams: { image: imageFamilyFor(props.os), type: 'pd-balanced', labels: { ...props.labels } } },
      networkInterface: [{ subnetwork: props.subnetwork, accessConfig: props.publicAddress ? [{}] : undefined }],
      serviceAccount: { email: props.serviceAccountEmail, scopes: ['cloud-platform'] },
      shieldedInstanceConfig: {
        enableSecureBoot: props.secureBoot ?? props.platform === 'windows',
        enableVtpm: true,
        enableIntegrityMonitoring: true,
      },
      metadata,
      // scheduling.max_run_duration with instance_termination_action DELETE (provider 6.50
      // website/docs/r/compute_instance.html.markdown); the 120-day limit is Compute Engine's (lib/config).
      scheduling:
        maxRunHours > 0 ? { maxRunDuration: { seconds: maxRunHours * 3600 }, instanceTerminationAction: 'DELETE' } : undefined,
      deletionProtection: false,
      allowStoppingForUpdate: true,
      dependsOn: props.dependsOn,
    });
    // A plain address: cdktf writes lifecycle.replaceTriggeredBy as "${terraform_data.x}", which
    // Terraform's JSON syntax refuses there ("Expected the start of an expression", Terraform 1.11).
    this.instance.addOverride('lifecycle.replace_triggered_by', [`${this.bootScriptVersion.terraformResourceType}.${this.bootScriptVersion.friendlyUniqueId}`]);
  }
}

function validate(props: SandboxVmProps): void {
  if (!INSTANCE_NAME.test(props.name)) {
    throw new Error(
      `instance name: got "${props.name}"; allowed: 1-63 characters [a-z][-a-z0-9]*, not ending in "-" (shorten the sandbox or VM name)`,
    );
  }
  const hours = props.maxRunHours ?? 0;
  if (!Number.isInteger(hours) || hours < 0 || hours > MAX_RUN_HOURS) {
    throw new Error(
      `expiresAfterHours: got ${hours}; allowed on GCP: 0 (never) to ${MAX_RUN_HOURS} (Compute Engine's longest max_run_duration, 120 days)`,
    );
  }
  if (props.bootScript.trim() === '') throw new Error(`boot script for ${props.name}: empty; the VM would never install the agent`);
  const size = Buffer.byteLength(props.bootScript, 'utf8');
  if (size > METADATA_VALUE_LIMIT) {
    throw new Error(
      `boot script for ${props.name}: ${size} bytes; Compute Engine metadata values are limited to ${METADATA_VALUE_LIMIT} bytes`,
    );
  }
}
