import { TerraformStack, Testing } from 'cdktf';
import { SandboxNetwork } from '../../lib/gcp/network';
import { configWith } from '../helpers/config';
import { onlyResource, resourcesOf, synthGcp, type Synthesized } from './synth';

const IAP = '35.235.240.0/20';
const firewallsByName = (s: Synthesized) => new Map(resourcesOf(s.tf, 'google_compute_firewall').map((f) => [f.name as string, f]));

describe('GCP network, private mode without adminCidrs (the example)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(configWith());
  });

  test('a custom-mode VPC and one subnet with gcp.subnetCidr in gcp.region, Private Google Access on', () => {
    expect(onlyResource(s.tf, 'google_compute_network')).toMatchObject({ name: 'ds-eval-vpc', auto_create_subnetworks: false });
    expect(onlyResource(s.tf, 'google_compute_subnetwork')).toMatchObject({
      ip_cidr_range: '10.61.0.0/24',
      region: 'asia-northeast1',
      private_ip_google_access: true,
    });
  });

  test('ingress only from IAP on 22 to Linux and 3389 to Windows; nothing from the internet', () => {
    const fw = firewallsByName(s);
    const ingress = [...fw.values()].filter((f) => f.direction === 'INGRESS');
    expect(ingress.map((f) => f.name).sort()).toEqual(['ds-eval-allow-rdp', 'ds-eval-allow-ssh']);
    expect(fw.get('ds-eval-allow-ssh')).toMatchObject({ source_ranges: [IAP], allow: [{ protocol: 'tcp', ports: ['22'] }], target_tags: ['dskit-linux'] });
    expect(fw.get('ds-eval-allow-rdp')).toMatchObject({ source_ranges: [IAP], allow: [{ protocol: 'tcp', ports: ['3389'] }], target_tags: ['dskit-windows'] });
    for (const f of ingress) expect(f.source_ranges).not.toContain('0.0.0.0/0');
  });

  test('egress to the manager: HTTPS (Workload Security activates on 443 too)', () => {
    expect(firewallsByName(s).get('ds-eval-allow-manager-egress')).toMatchObject({
      direction: 'EGRESS',
      destination_ranges: ['0.0.0.0/0'],
      allow: [{ protocol: 'tcp', ports: ['443'] }],
    });
  });

  test('no public addresses: VMs reach the internet through Cloud NAT', () => {
    expect(onlyResource(s.tf, 'google_compute_router_nat')).toMatchObject({
      source_subnetwork_ip_ranges_to_nat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
      nat_ip_allocate_option: 'AUTO_ONLY',
    });
    for (const vm of resourcesOf(s.tf, 'google_compute_instance')) expect(vm.network_interface[0].access_config).toBeUndefined();
  });
});

describe('GCP network, private mode with adminCidrs and a self-hosted DSM, Linux only', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(
      configWith((r) => {
        r.exposure.adminCidrs = ['203.0.113.0/24'];
        r.manager = {
          type: 'dsm',
          url: 'https://dsm.lab.internal:4119',
          activationUrl: 'dsm://dsm.lab.internal:4120/',
          activationTokenSecret: 'lab-token',
        };
        r.gcp.vms = [{ name: 'web', os: 'rhel-9' }];
      }),
    );
  });

  test('SSH from adminCidrs and IAP; no RDP rule without Windows VMs', () => {
    const fw = firewallsByName(s);
    expect(fw.get('ds-eval-allow-ssh').source_ranges).toEqual([IAP, '203.0.113.0/24']);
    expect(fw.has('ds-eval-allow-rdp')).toBe(false);
  });

  test('admins connect directly, so VMs get an ephemeral public address and there is no NAT', () => {
    expect(resourcesOf(s.tf, 'google_compute_router_nat')).toEqual([]);
    expect(onlyResource(s.tf, 'google_compute_instance').network_interface[0].access_config).toEqual([{}]);
  });

  test('egress to the DSM console and activation ports', () => {
    expect(firewallsByName(s).get('ds-eval-allow-manager-egress').allow).toEqual([{ protocol: 'tcp', ports: ['443', '4119', '4120'] }]);
  });
});

describe('GCP network, honeypot mode', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(
      configWith((r) => {
        r.exposure = { mode: 'honeypot', honeypotPorts: [22, 445, 1433, 3389], acknowledgeCloudTerms: true };
      }),
    );
  });

  test('honeypotPorts open to the whole internet, on every sandbox VM', () => {
    const honeypot = firewallsByName(s).get('ds-eval-honeypot');
    expect(honeypot).toMatchObject({ direction: 'INGRESS', source_ranges: ['0.0.0.0/0'], allow: [{ protocol: 'tcp', ports: ['22', '445', '1433', '3389'] }] });
    expect(honeypot.target_tags).toBeUndefined();
  });

  test('VMs have public addresses to be reached', () => {
    for (const vm of resourcesOf(s.tf, 'google_compute_instance')) expect(vm.network_interface[0].access_config).toEqual([{}]);
  });
});

describe('GCP network: honeypot refused without acknowledgeCloudTerms', () => {
  test('by the config schema, naming the key', () => {
    expect(() => configWith((r) => (r.exposure.mode = 'honeypot'))).toThrow(/exposure\.acknowledgeCloudTerms/);
  });

  test('by the construct too, for callers that bypass the schema', () => {
    const exposure = { mode: 'honeypot' as const, adminCidrs: [], honeypotPorts: [22], acknowledgeCloudTerms: false };
    expect(
      () =>
        new SandboxNetwork(new TerraformStack(Testing.app(), 'x'), 'net', {
          namePrefix: 'lab',
          region: 'asia-northeast1',
          subnetCidr: '10.61.0.0/24',
          exposure,
          managerPorts: [443],
        }),
    ).toThrow(/exposure\.acknowledgeCloudTerms: got false with exposure\.mode "honeypot".*set exposure\.acknowledgeCloudTerms: true/);
  });
});
