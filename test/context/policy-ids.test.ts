/**
 * Synth never asks the manager for a policy id: a name with no cached id renders (policy id 0,
 * with a warning) and becomes a deploy blocker naming the key, one line per name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unresolvedPolicies } from '../../lib/agent/deploy-blockers';
import { cachePolicyId, knownPolicyId } from '../../lib/context';
import { configWith } from '../helpers/config';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-policy-ids-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const config = configWith((raw) => {
  raw.policy = { name: 'ds-eval-policy' };
  raw.aws.vms = [
    { name: 'web', os: 'amazon-linux-2023', count: 1 },
    { name: 'win', os: 'windows-2022', count: 1, policy: { name: 'Windows Lab' } },
    { name: 'off', os: 'amazon-linux-2023', count: 0, policy: { name: 'Never Used' } },
  ];
});

test('ids as given, names from the cache, undefined (never a throw, never a lookup) when not cached', () => {
  expect(knownPolicyId({ id: 9, groupId: 0, relayGroupId: 0 }, dir)).toBe(9);
  expect(knownPolicyId({ name: 'ds-eval-policy', groupId: 0, relayGroupId: 0 }, dir)).toBeUndefined();
  cachePolicyId('ds-eval-policy', 41, dir);
  expect(knownPolicyId({ name: 'ds-eval-policy', groupId: 0, relayGroupId: 0 }, dir)).toBe(41);
});

test('each unresolved name is one deploy blocker naming its key; VMs with count 0 need none', () => {
  expect(unresolvedPolicies(config, 'sandbox.yaml', 'aws', dir)).toEqual([
    `sandbox.yaml: policy.name: "ds-eval-policy" has no cached policy id in ${path.join(dir, 'dskit.context.json')}; run \`npx dskit policy resolve\` (needs the API key), or give policy.id`,
    `sandbox.yaml: aws.vms[1].policy.name: "Windows Lab" has no cached policy id in ${path.join(dir, 'dskit.context.json')}; run \`npx dskit policy resolve\` (needs the API key), or give policy.id`,
  ]);
  cachePolicyId('ds-eval-policy', 41, dir);
  cachePolicyId('Windows Lab', 42, dir);
  expect(unresolvedPolicies(config, 'sandbox.yaml', 'aws', dir)).toEqual([]);
});
