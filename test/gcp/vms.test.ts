import 'cdktf/lib/testing/adapters/jest';
import { TerraformStack, Testing } from 'cdktf';
import { ComputeInstance } from '@cdktf/provider-google/lib/compute-instance';
import { SandboxVm } from '../../lib/gcp/vm';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { ConfigError } from '../../lib/config';
import { PACKAGE_ROOT } from '../../lib/config/load';
import { configWith, exampleRaw } from '../helpers/config';
import { resourcesOf, synthGcp, type Synthesized } from './synth';

Testing.setupJest();

const instancesByName = (s: Synthesized) => new Map(resourcesOf(s.tf, 'google_compute_instance').map((i) => [i.name as string, i]));

describe('GCP VMs: one instance per count, metadata per OS family', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(
      configWith((r) => {
        r.name = 'lab';
        r.expiresAfterHours = 6;
        r.gcp.vms = [
          { name: 'deb', os: 'debian-12', count: 2 },
          { name: 'u22', os: 'ubuntu-22.04' },
          { name: 'u24', os: 'ubuntu-24.04' },
          { name: 'rhel', os: 'rhel-9', machineType: 'e2-standard-2' },
          { name: 'win', os: 'windows-2022', machineType: 'e2-standard-4', count: 2 },
          { name: 'off', os: 'debian-12', count: 0 },
        ];
      }),
    );
  });

  test('instances are named <sandbox>-gcp-<vm>-<n>, count per VM entry, none for count 0', () => {
    expect([...instancesByName(s).keys()].sort()).toEqual(
      ['lab-gcp-deb-1', 'lab-gcp-deb-2', 'lab-gcp-u22-1', 'lab-gcp-u24-1', 'lab-gcp-rhel-1', 'lab-gcp-win-1', 'lab-gcp-win-2'].sort(),
    );
  });

  test('each OS boots its public image family', () => {
    const image = (name: string) => instancesByName(s).get(name).boot_disk.initialize_params.image;
    expect(image('lab-gcp-deb-1')).toBe('debian-cloud/debian-12');
    expect(image('lab-gcp-u22-1')).toBe('ubuntu-os-cloud/ubuntu-2204-lts');
    expect(image('lab-gcp-u24-1')).toBe('ubuntu-os-cloud/ubuntu-2404-lts-amd64');
    expect(image('lab-gcp-rhel-1')).toBe('rhel-cloud/rhel-9');
    expect(image('lab-gcp-win-2')).toBe('windows-cloud/windows-2022');
    expect(instancesByName(s).get('lab-gcp-rhel-1').machine_type).toBe('e2-standard-2');
    expect(instancesByName(s).get('lab-gcp-deb-1').machine_type).toBe('e2-medium');
  });

  test('Linux VMs carry startup-script, Windows VMs windows-startup-script-ps1; keys exactly as written', () => {
    for (const [name, vm] of instancesByName(s)) {
      const windows = name.includes('-win-');
      const keys = Object.keys(vm.metadata).sort();
      expect(keys).toEqual(
        windows ? ['enable-guest-attributes', 'windows-startup-script-ps1'] : ['enable-guest-attributes', 'enable-oslogin', 'startup-script'].sort(),
      );
      expect(vm.metadata['enable-guest-attributes']).toBe('TRUE');
      expect(vm.metadata_startup_script).toBeUndefined();
    }
  });

  test('each script is that instance own boot script: its display name, not a sibling one', () => {
    for (const [name, vm] of instancesByName(s)) {
      const script: string = vm.metadata['startup-script'] ?? vm.metadata['windows-startup-script-ps1'];
      expect(script).toContain(name);
      const siblings = [...instancesByName(s).keys()].filter((other) => other !== name && !other.startsWith(`${name}`));
      for (const other of siblings) expect(script).not.toMatch(new RegExp(`${other}(?![0-9])`));
    }
  });

  test('Shielded VM, the sandbox service account with cloud-platform scope, no public address in private mode', () => {
    for (const vm of instancesByName(s).values()) {
      // Secure Boot would keep the Linux agent's Trend Micro-signed kernel modules from loading.
      const windows = 'windows-startup-script-ps1' in vm.metadata;
      expect(vm.shielded_instance_config).toEqual({ enable_secure_boot: windows, enable_vtpm: true, enable_integrity_monitoring: true });
      expect(vm.service_account.scopes).toEqual(['cloud-platform']);
      expect(vm.service_account.email).toMatch(/^\$\{google_service_account\.[^.]+\.email\}$/);
      expect(vm.network_interface[0].access_config).toBeUndefined();
      expect(vm.deletion_protection).toBe(false);
    }
  });

  test('labels dskit-sandbox / owner / dskit-vm, keys not snake-cased, values GCP-valid', () => {
    expect(s.json).toHaveResourceWithProperties(ComputeInstance, {
      name: 'lab-gcp-u24-1',
      labels: { 'dskit-sandbox': 'lab', owner: 'secops_at_example_com', 'dskit-vm': 'u24' },
    });
    for (const vm of instancesByName(s).values()) {
      for (const [k, v] of Object.entries<string>(vm.labels)) {
        expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
        expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
      }
      expect(Object.keys(vm.labels)).not.toContain('dskit_sandbox');
    }
  });

  test('TTL: max_run_duration of expiresAfterHours with DELETE', () => {
    for (const vm of instancesByName(s).values()) {
      expect(vm.scheduling).toEqual({ max_run_duration: { seconds: 6 * 3600 }, instance_termination_action: 'DELETE' });
    }
  });

  test('VMs wait for their token grant and the event sink grant', () => {
    const deps: string[] = instancesByName(s).get('lab-gcp-deb-1').depends_on;
    expect(deps.some((d) => d.startsWith('google_secret_manager_secret_iam_member.'))).toBe(true);
    expect(deps.some((d) => d.startsWith('google_bigquery_dataset_iam_member.'))).toBe(true);
  });

  test('outputs: the instance names', () => {
    expect((s.tf.output.instance_names.value as string[]).length).toBe(7);
    for (const ref of s.tf.output.instance_names.value as string[]) expect(ref).toMatch(/^\$\{google_compute_instance\.[^.]+\.name\}$/);
  });
});

describe('GCP VMs without TTL (expiresAfterHours: 0)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(configWith((r) => (r.expiresAfterHours = 0)));
  });

  test('no scheduling block: the VMs live until cdktf destroy', () => {
    const vms = resourcesOf(s.tf, 'google_compute_instance');
    expect(vms.length).toBe(2);
    for (const vm of vms) expect(vm.scheduling).toBeUndefined();
  });
});

describe('GCP VMs: bad input', () => {
  test('a TTL beyond max_run_duration\'s 120 days is refused by the config, in one line naming the key and the limit', () => {
    const problems = (edit: (r: Record<string, any>) => void) => {
      try {
        configWith(edit);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems((r) => (r.expiresAfterHours = 24 * 120 + 1))).toEqual([
      "test.yaml: expiresAfterHours: got 2881; allowed with a gcp: section: 0 (never) to 2880 (120 days, Compute Engine's longest max_run_duration)",
    ]);
    expect(problems((r) => (r.expiresAfterHours = 24 * 120))).toEqual([]);
    // Without a gcp: section the limit is AWS's own (the schema's).
    expect(problems((r) => ((r.expiresAfterHours = 24 * 200), delete r.gcp))).toEqual([]);
  });

  test('the GCP app exits 2 with that one line, no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-ttl-'));
    const file = path.join(dir, 'sandbox.yaml');
    fs.writeFileSync(file, stringify({ ...exampleRaw(), expiresAfterHours: 24 * 200 }));
    const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(PACKAGE_ROOT, 'bin', 'gcp.ts')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, DSKIT_CONFIG: file, CDKTF_OUTDIR: path.join(dir, 'cdktf.out') },
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/sandbox\.yaml: expiresAfterHours: got 4800; allowed with a gcp: section: 0 \(never\) to 2880/)]);
  });

  test('an instance name GCP refuses is an error naming the value', () => {
    const stack = new TerraformStack(Testing.app(), 'x');
    const props = { zone: 'asia-northeast1-a', os: 'debian-12', platform: 'linux' as const, bootScript: '#!/bin/bash\n', subnetwork: 's', serviceAccountEmail: 'e', labels: {} };
    expect(() => new SandboxVm(stack, 'bad', { ...props, name: 'Lab_VM' })).toThrow(/instance name: got "Lab_VM"; allowed: 1-63 characters/);
    expect(() => new SandboxVm(stack, 'empty', { ...props, name: 'lab-gcp-x-1', bootScript: ' ' })).toThrow(/boot script for lab-gcp-x-1: empty/);
  });
});
