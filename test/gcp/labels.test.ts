/**
 * Leftovers you can see (issue 9 item 7): every resource the GCP stack creates is either labelled
 * dskit-sandbox=<name> (the types provider 6.50 lets us label) or named with the sandbox prefix
 * (the types it does not), so a label search plus a name search finds all of them. A resource type
 * the stack starts to create must be put in one of the lists below, which is the decision docs/gcp.md
 * describes.
 */
import { sandboxNamePrefix } from '../../lib/gcp/names';
import { configWith } from '../helpers/config';
import { synthGcp, type TerraformJson } from './synth';

/** Types with `labels` in provider 6.50 (website/docs/r/<type>.html.markdown). */
const LABELLED = ['google_compute_instance', 'google_bigquery_dataset', 'google_bigquery_table'];
/** Types without `labels` in provider 6.50: found by name. The attribute holding the name. */
const NAMED: Record<string, string> = {
  google_compute_network: 'name',
  google_compute_subnetwork: 'name',
  google_compute_firewall: 'name',
  google_compute_router: 'name',
  google_compute_router_nat: 'name',
  google_service_account: 'account_id',
  google_logging_project_sink: 'name',
  google_logging_project_exclusion: 'name',
};
/** Not resources of their own: IAM bindings inside the project's, the secret's and the dataset's policies, and Terraform's own. */
const NEITHER = ['google_project_iam_member', 'google_secret_manager_secret_iam_member', 'google_bigquery_dataset_iam_member', 'terraform_data'];

const SANDBOX = 'lab-7';

function everyVariant(): TerraformJson[] {
  const vms = [
    { name: 'web', os: 'debian-12' },
    { name: 'win', os: 'windows-2022' },
  ];
  return [
    // Private: Cloud NAT, router.
    synthGcp(configWith((r) => ((r.name = SANDBOX), (r.gcp.vms = vms)))).tf,
    // Honeypot: public addresses, the honeypot firewall rule.
    synthGcp(
      configWith((r) => {
        r.name = SANDBOX;
        r.gcp.vms = vms;
        r.exposure = { mode: 'honeypot', honeypotPorts: [22], acknowledgeCloudTerms: true };
      }),
    ).tf,
  ];
}

describe('every GCP resource is found by its label or by the sandbox name prefix', () => {
  let variants: TerraformJson[];
  beforeAll(() => {
    variants = everyVariant();
  });

  test('each resource type the stack creates is classified', () => {
    const types = new Set(variants.flatMap((tf) => Object.keys(tf.resource)));
    const unclassified = [...types].filter((t) => !LABELLED.includes(t) && !(t in NAMED) && !NEITHER.includes(t));
    expect(unclassified).toEqual([]);
    for (const t of [...LABELLED, ...Object.keys(NAMED)]) expect(types).toContain(t);
  });

  test('labelled types carry dskit-sandbox=<name>, VM boot disks too', () => {
    for (const tf of variants) {
      for (const type of LABELLED) {
        for (const [id, r] of Object.entries<any>(tf.resource[type] ?? {})) {
          expect([id, r.labels?.['dskit-sandbox']]).toEqual([id, SANDBOX]);
          if (type === 'google_compute_instance') expect([id, r.boot_disk.initialize_params.labels['dskit-sandbox']]).toEqual([id, SANDBOX]);
        }
      }
    }
  });

  test(`types without labels are named ${sandboxNamePrefix(SANDBOX)}...`, () => {
    for (const tf of variants) {
      for (const [type, attribute] of Object.entries(NAMED)) {
        for (const [id, r] of Object.entries<any>(tf.resource[type] ?? {})) {
          expect([type, id, String(r[attribute]).startsWith(sandboxNamePrefix(SANDBOX))]).toEqual([type, id, true]);
        }
      }
    }
  });

  test('the VMs\' names carry the prefix too, so disks and instances are found both ways', () => {
    for (const r of Object.values<any>(variants[0].resource.google_compute_instance)) expect(r.name.startsWith(`${SANDBOX}-gcp-`)).toBe(true);
  });
});

describe('the _Default bucket keeps no copy of the events', () => {
  test('a project exclusion with the sink\'s own filter, made after the sink and before the VMs', () => {
    const tf = everyVariant()[0];
    const [[sinkId, sink]] = Object.entries<any>(tf.resource.google_logging_project_sink);
    const [exclusion] = Object.values<any>(tf.resource.google_logging_project_exclusion);
    expect(exclusion.filter).toBe(sink.filter);
    expect(exclusion.filter).toContain(`logs/ds-events`);
    expect(exclusion.disabled).toBeUndefined();
    expect(exclusion.depends_on).toEqual([`google_logging_project_sink.${sinkId}`]);
    const exclusionId = Object.keys(tf.resource.google_logging_project_exclusion)[0];
    for (const vm of Object.values<any>(tf.resource.google_compute_instance)) {
      expect(vm.depends_on).toContain(`google_logging_project_exclusion.${exclusionId}`);
    }
  });
});
