/**
 * Which computers `dskit exercise` works on: the sandbox's, found the way verify and teardown find
 * them. On a vision-one manager an agent that registered itself has no display name, only the host
 * name its boot script set (upper case on Windows, an FQDN on some clouds).
 */
import { EXAMPLE_CONFIG, loadConfig } from '../../lib/config';
import { ruleDirectory, sandboxComputerFacts } from '../../lib/exercise/manager';
import { ruleKey } from '../../lib/exercise/readiness';
import { ManagerClient } from '../../lib/manager';
import { firewallRuleSchema } from '../../lib/manager/schemas';
import { seedDemoTenant } from '../../lib/manager-double/demo-tenant';
import { FakeManagerApi } from '../../lib/manager-double/fake-manager-api';

const KEY = 'unit-key-not-a-secret-0000';
const NAMES = ['ds-eval-aws-web-1', 'ds-eval-aws-win-1'];

describe('sandboxComputerFacts', () => {
  let fake: FakeManagerApi;
  let client: ManagerClient;
  beforeAll(async () => {
    fake = new FakeManagerApi({ apiKey: KEY });
    client = new ManagerClient({ baseUrl: `${await fake.start()}/api`, apiKey: KEY });
    fake.agentInitiatedActivation({ hostName: 'ds-eval-aws-web-1.ap-northeast-1.compute.internal', platform: 'Amazon Linux 2023 (64 bit)' });
    fake.agentInitiatedActivation({ hostName: 'DS-EVAL-AWS-WIN-1', platform: 'Microsoft Windows Server 2022 (64 bit)' });
    fake.agentInitiatedActivation({ hostName: 'ds-eval2-aws-web-1', platform: 'Ubuntu 22.04' });
  });
  afterAll(() => fake.stop());

  test('vision-one: the agents are found by host name, under their sandbox names; another sandbox\'s is not', async () => {
    const facts = await sandboxComputerFacts(client, 'ds-eval', ['aws'], NAMES, 'vision-one');
    expect([...facts.keys()].sort()).toEqual(NAMES);
  });

  test('a classic manager names computers by display name: host names alone find nothing', async () => {
    const facts = await sandboxComputerFacts(client, 'ds-eval', ['aws'], NAMES, 'workload-security');
    expect([...facts.keys()]).toEqual([]);
  });
});

describe('the demo tenant (dskit demo-manager) serves what exercise reads', () => {
  test('the Trend rules the triggers need, by identifier, in their own collections; a firewall rule by id', async () => {
    const fake = new FakeManagerApi({ apiKey: KEY });
    const client = new ManagerClient({ baseUrl: `${await fake.start()}/api`, apiKey: KEY });
    try {
      seedDemoTenant(fake, loadConfig({ configPath: EXAMPLE_CONFIG }).config);
      const rules = await ruleDirectory(client, ['ips', 'im', 'li'], ['linux', 'windows'], []);
      const needed = [ruleKey('ips', '1005924'), ruleKey('im', '1003513'), ruleKey('im', '1002773'), ruleKey('li', '1002792'), ruleKey('li', '1002831'), ruleKey('li', '1002795')];
      expect(needed.map((k) => [k, rules.ids.get(k)?.length])).toEqual(needed.map((k) => [k, 1]));
      const fw = fake.addFirewallRule({ name: 'deny the probe', action: 'deny', direction: 'outgoing', protocol: 'tcp' });
      await expect(client.request('GET', `/firewallrules/${fw}`, firewallRuleSchema)).resolves.toMatchObject({ ID: fw, action: 'deny' });
    } finally {
      await fake.stop();
    }
  });
});
