/**
 * A vision-one sandbox on GCP: a stack-owned bucket (uniform access, public access prevented,
 * force_destroy) holds one object per Agent Installer package, uploaded from the user's file (path
 * and hashes in Terraform, never the content), readable by the VMs' service account only; the VMs
 * wait for object and grant, their scripts pin the SHA-256, and a changed package replaces them.
 */
import * as fs from 'node:fs';
import { fileSha256 } from '../../lib/agent/installers';
import { installerBucketName } from '../../lib/gcp/installer-packages';
import { REGISTRATION_TOKEN, standInInstallers, visionOneConfig, type StandInInstallers } from '../helpers/vision-one';
import { resourcesOf, synthGcp, type Synthesized } from './synth';

let pkgs: StandInInstallers;
beforeAll(() => (pkgs = standInInstallers()));
afterAll(() => fs.rmSync(pkgs.dir, { recursive: true, force: true }));

const config = (p: StandInInstallers = pkgs) =>
  visionOneConfig(p, (raw) => {
    raw.manager.installers.linux.arm64 = undefined;
    raw.gcp.vms = [
      { name: 'web', os: 'debian-12' },
      { name: 'win', os: 'windows-2022' },
    ];
    delete raw.aws;
  });

describe('GCP vision-one stack', () => {
  let s: Synthesized;
  beforeAll(() => (s = synthGcp(config())));

  test('a private bucket of the stack, emptied and deleted by a destroy', () => {
    const [bucket] = resourcesOf(s.tf, 'google_storage_bucket');
    expect(bucket).toMatchObject({
      name: installerBucketName('ds-eval', 'my-project'),
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      force_destroy: true,
      location: 'asia-northeast1',
      labels: expect.objectContaining({ 'dskit-sandbox': 'ds-eval' }),
    });
    expect(bucket.name.startsWith('ds-eval-')).toBe(true);
  });

  test('one object per package the VMs need, uploaded from the file (its path, never its content)', () => {
    const objects = resourcesOf(s.tf, 'google_storage_bucket_object');
    expect(objects.map((o) => [o.name, o.source]).sort()).toEqual(
      [
        [`${fileSha256(pkgs.linuxX86)}.tar`, pkgs.linuxX86],
        [`${fileSha256(pkgs.windows)}.zip`, pkgs.windows],
      ].sort(),
    );
    for (const o of objects) expect(o.content).toBeUndefined();
    expect(s.json).not.toContain(REGISTRATION_TOKEN);
  });

  test('only the VMs\' service account may read it, and no token secret is granted', () => {
    const members = resourcesOf(s.tf, 'google_storage_bucket_iam_member');
    expect(members).toEqual([expect.objectContaining({ role: 'roles/storage.objectViewer', member: expect.stringContaining('serviceAccount:${google_service_account.') })]);
    expect(resourcesOf(s.tf, 'google_secret_manager_secret_iam_member')).toEqual([]);
  });

  test('each VM boots after its package and the grant; its script names the object and pins the SHA-256', () => {
    const instances = s.tf.resource.google_compute_instance;
    for (const [name, vm] of Object.entries(instances) as [string, any][]) {
      expect(vm.depends_on.join(' ')).toMatch(/google_storage_bucket_iam_member\./);
      expect(vm.depends_on.join(' ')).toMatch(/google_storage_bucket_object\./);
      const script: string = vm.metadata['startup-script'] ?? vm.metadata['windows-startup-script-ps1'];
      const file = name.includes('win') ? pkgs.windows : pkgs.linuxX86;
      expect(script).toContain(fileSha256(file));
      expect(script).toContain(installerBucketName('ds-eval', 'my-project'));
      expect(script).not.toContain(REGISTRATION_TOKEN);
    }
  });
});

test('a changed package replaces the VM that uses it (its script digest changes), and only that VM', () => {
  const before = synthGcp(config());
  const other = standInInstallers('another-manager.invalid:443');
  try {
    const after = synthGcp(config({ ...other, windows: pkgs.windows }));
    const digests = (x: Synthesized) => Object.fromEntries(Object.entries(x.tf.resource.terraform_data).map(([k, v]: [string, any]) => [k, v.input]));
    const b = digests(before);
    const a = digests(after);
    const changed = Object.keys(a).filter((k) => a[k] !== b[k]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/web/);
  } finally {
    fs.rmSync(other.dir, { recursive: true, force: true });
  }
});
