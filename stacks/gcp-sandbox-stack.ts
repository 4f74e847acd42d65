import { GcsBackend, LocalBackend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { OWNER_TAG, SANDBOX_TAG, type SandboxConfig } from '../lib/config';
import { gcpLabelValue } from '../lib/gcp/labels';

export interface GcpSandboxStackProps {
  /** The validated sandbox config; must have a `gcp:` section. */
  readonly config: SandboxConfig;
}

/** The GCP side of the sandbox: network, VMs, Ops Agent → Cloud Logging → BigQuery (SPEC §1, §5). */
export class GcpSandboxStack extends TerraformStack {
  readonly labels: Record<string, string>;

  constructor(scope: Construct, id: string, props: GcpSandboxStackProps) {
    super(scope, id);
    const { config } = props;
    const gcp = config.gcp;
    if (!gcp) throw new Error('GcpSandboxStack needs a `gcp:` section in the config');

    if (gcp.stateBucket) {
      new GcsBackend(this, { bucket: gcp.stateBucket, prefix: `dskit/${config.name}` });
    } else {
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    }

    this.labels = { [SANDBOX_TAG]: gcpLabelValue(config.name), [OWNER_TAG]: gcpLabelValue(config.owner) };
    // Credentials come from the environment (ADC); none are written into cdk.tf.json.
    const provider = new GoogleProvider(this, 'google', { project: gcp.project, region: gcp.region, zone: gcp.zone });
    // cdktf snake-cases the keys of a provider's map attributes (dskit-sandbox → dskit_sandbox);
    // an override is written as given.
    provider.addOverride('default_labels', this.labels);
  }
}
