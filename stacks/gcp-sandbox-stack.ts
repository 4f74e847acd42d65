import { App, GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { renderBootScript, type BootScript } from '../lib/agent';
import { deployBlockers } from '../lib/agent/deploy-blockers';
import { installerPackage } from '../lib/agent/installers';
import {
  OWNER_TAG,
  SANDBOX_TAG,
  activationTokenSecretOf,
  installerKindOf,
  managerEndpoints,
  neededInstallerKinds,
  type GcpVmConfig,
  type SandboxConfig,
} from '../lib/config';
import { ActivationCheck } from '../lib/gcp/activation-check';
import { SandboxEvents } from '../lib/gcp/events';
import { SandboxIdentity } from '../lib/gcp/identity';
import { InstallerPackages } from '../lib/gcp/installer-packages';
import { gcpLabelValue } from '../lib/gcp/labels';
import { EVENTS_LOG_NAME, eventsDatasetId } from '../lib/gcp/names';
import { SandboxNetwork } from '../lib/gcp/network';
import { localBackendPath } from '../lib/gcp/state';
import { refusePlaceholders } from '../lib/gcp/placeholder-guard';
import { SandboxVm } from '../lib/gcp/vm';

export interface GcpSandboxStackProps {
  /** The validated sandbox config; must have a `gcp:` section. */
  readonly config: SandboxConfig;
  /**
   * The config file's name, for the message a deploy with placeholder values fails with.
   * @default 'sandbox.yaml'
   */
  readonly configFile?: string;
}

/** The GCP side of the sandbox: network, VMs, Ops Agent → Cloud Logging → BigQuery (SPEC §1, §5). */
export class GcpSandboxStack extends TerraformStack {
  readonly labels: Record<string, string>;
  readonly network: SandboxNetwork;
  readonly identity: SandboxIdentity;
  /** vision-one: the Agent Installer packages the VMs download (absent for the other manager types). */
  readonly installers?: InstallerPackages;
  readonly events: SandboxEvents;
  readonly vms: SandboxVm[];
  /** Absent without VMs. */
  readonly activation?: ActivationCheck;

  constructor(scope: Construct, id: string, props: GcpSandboxStackProps) {
    super(scope, id);
    const { config } = props;
    const gcp = config.gcp;
    if (!gcp) throw new Error('GcpSandboxStack needs a `gcp:` section in the config');

    if (gcp.stateBucket) {
      new GcsBackend(this, { bucket: gcp.stateBucket, prefix: `dskit/${config.name}` });
    } else {
      // In the project root, not in cdktf.out/stacks/<stack>/, which the cdktf CLI deletes (lib/gcp/state.ts).
      new LocalBackend(this, { path: localBackendPath(App.of(this).outdir, id) });
    }

    this.labels = { [SANDBOX_TAG]: gcpLabelValue(config.name), [OWNER_TAG]: gcpLabelValue(config.owner) };
    // Credentials come from the environment (ADC); none are written into cdk.tf.json.
    const provider = new GoogleProvider(this, 'google', { project: gcp.project, region: gcp.region, zone: gcp.zone });
    // cdktf snake-cases the keys of a provider's map attributes (dskit-sandbox → dskit_sandbox);
    // an override is written as given.
    provider.addOverride('default_labels', this.labels);

    this.identity = new SandboxIdentity(this, 'identity', {
      sandboxName: config.name,
      project: gcp.project,
      activationTokenSecret: activationTokenSecretOf(config.manager),
    });
    const manager = config.manager;
    if (manager.type === 'vision-one') {
      this.installers = new InstallerPackages(this, 'installers', {
        sandboxName: config.name,
        project: gcp.project,
        location: gcp.region,
        packages: neededInstallerKinds(config, ['gcp']).map((kind) => installerPackage(manager, kind)),
        readerMember: this.identity.member,
        labels: this.labels,
      });
    }

    const scripts = bootScripts(config, gcp.vms, gcp.project, this.installers);
    const platforms = new Set(scripts.map(({ script }) => script.platform));
    const instanceNames = scripts.map(({ script }) => script.displayName);

    this.network = new SandboxNetwork(this, 'network', {
      namePrefix: config.name,
      region: gcp.region,
      subnetCidr: gcp.subnetCidr,
      exposure: config.exposure,
      managerPorts: managerPorts(config),
      hasLinux: platforms.has('linux'),
      hasWindows: platforms.has('windows'),
    });
    refusePlaceholders(
      this,
      this.network.network,
      deployBlockers(config, props.configFile ?? 'sandbox.yaml', 'gcp'),
    );

    this.events = new SandboxEvents(this, 'events', {
      sandboxName: config.name,
      project: gcp.project,
      location: gcp.region,
      datasetId: eventsDatasetId(config.name),
      retentionDays: config.events.retentionDays,
      instanceNames,
      labels: this.labels,
    });

    this.vms = scripts.map(
      ({ vm, script }) =>
        new SandboxVm(this, `vm-${script.displayName}`, {
          name: script.displayName,
          zone: gcp.zone,
          machineType: vm.machineType,
          os: vm.os,
          platform: script.platform,
          bootScript: script.script,
          subnetwork: this.network.subnet.id,
          publicAddress: this.network.publicAddresses,
          serviceAccountEmail: this.identity.serviceAccount.email,
          labels: { ...this.labels, 'dskit-vm': gcpLabelValue(vm.name) },
          maxRunHours: config.expiresAfterHours,
          // The boot script reads the token and ships events at first boot: grants, sink and its _Default exclusion first.
          // vision-one: its package object and the grant to read it too.
          dependsOn: [
            ...(this.identity.secretAccess ? [this.identity.secretAccess] : []),
            ...(this.installers ? [this.installers.readerAccess, ...this.installers.objects.values()] : []),
            ...this.identity.projectRoles,
            this.events.sinkWriterAccess,
            this.events.defaultSinkExclusion,
          ],
        }),
    );

    if (this.vms.length > 0) {
      this.activation = new ActivationCheck(this, 'activation', {
        project: gcp.project,
        zone: gcp.zone,
        vms: this.vms,
        timeoutMinutes: gcp.activationTimeoutMinutes,
      });
    }

    new TerraformOutput(this, 'instance_names', {
      description: 'The VMs; also their display names in the manager',
      value: this.vms.map((v) => v.instance.name),
    });
    new TerraformOutput(this, 'events_dataset', {
      description: 'BigQuery dataset with the ds_events table and the report views',
      value: `${gcp.project}.${this.events.dataset.datasetId}`,
    });
    new TerraformOutput(this, 'sink_writer_identity', {
      description: 'The Log Router sink writer identity (roles/bigquery.dataEditor on the dataset)',
      value: this.events.sink.writerIdentity,
    });
  }
}

function bootScripts(config: SandboxConfig, vms: readonly GcpVmConfig[], project: string, installers?: InstallerPackages): { vm: GcpVmConfig; script: BootScript }[] {
  const out: { vm: GcpVmConfig; script: BootScript }[] = [];
  for (const vm of vms) {
    for (let index = 1; index <= vm.count; index++) {
      const installer = installers?.locationOf(installerKindOf(vm));
      out.push({ vm, script: renderBootScript(config, vm, index, { cloud: 'gcp', project, logName: EVENTS_LOG_NAME, installer }) });
    }
  }
  return out;
}

/** The TCP ports agents use towards the manager: packages and API (HTTPS) and activation/heartbeats. */
function managerPorts(config: SandboxConfig): number[] {
  const { url, activationUrl } = managerEndpoints(config.manager);
  const portOf = (u: string) => Number(new URL(u).port || 443);
  return [443, portOf(url), portOf(activationUrl)];
}
