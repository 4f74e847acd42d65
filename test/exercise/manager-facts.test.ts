/**
 * Which computers `dskit exercise` works on: the sandbox's, found the way verify and teardown find
 * them. On a vision-one manager an agent that registered itself has no display name, only the host
 * name its boot script set (upper case on Windows, an FQDN on some clouds).
 */
import { FakeManagerApi } from '../../lib/manager-double/fake-manager-api';
import { sandboxComputerFacts } from '../../lib/exercise/manager';
import { ManagerClient } from '../../lib/manager';

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
