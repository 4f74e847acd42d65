/**
 * Display names `<sandbox>-<cloud>-<vm>-<n>` parse one way only: sandbox and VM names with an
 * `aws`/`gcp` segment are refused in the config (one clear line each), and the parser recognises
 * every computer of the sandbox — also VMs and counts the config no longer has — but no look-alike.
 */
import { displayName, parseDisplayName } from '../../lib/config';
import { dedupeById, sandboxComputersOf } from '../../lib/manager';
import { configProblems } from '../helpers/config';

const problems = configProblems;

describe('names that would make display names ambiguous are refused', () => {
  test('the issue\'s example: sandbox `a` with AWS VM `b-gcp-c` and sandbox `a-aws-b` with GCP VM `c` both give a-aws-b-gcp-c-1', () => {
    expect(displayName('a', 'aws', 'b-gcp-c', 1)).toBe(displayName('a-aws-b', 'gcp', 'c', 1));
    expect(problems((raw) => ((raw.name = 'ab'), (raw.aws.vms[0].name = 'b-gcp-c')))).toEqual([
      'sandbox.yaml: aws.vms[0].name: got "b-gcp-c"; a VM name may not have an `aws` or `gcp` segment (this has `gcp`): display names <sandbox>-<cloud>-<vm>-<n> would be ambiguous between sandboxes; pick a name without one',
    ]);
    expect(problems((raw) => (raw.name = 'a-aws-b'))).toEqual([
      'sandbox.yaml: name: got "a-aws-b"; a sandbox name may not have an `aws` or `gcp` segment (this has `aws`): display names <sandbox>-<cloud>-<vm>-<n> would be ambiguous between sandboxes; pick a name without one',
    ]);
  });

  test('segments only: names that merely contain the letters are fine', () => {
    expect(problems((raw) => ((raw.name = 'gcpx-awsome'), (raw.gcp.vms[0].name = 'laws')))).toEqual([]);
    expect(problems((raw) => (raw.gcp.vms[0].name = 'gcp'))).toHaveLength(1);
    expect(problems((raw) => (raw.name = 'aws'))).toHaveLength(1);
  });
});

describe('parseDisplayName: every computer of the sandbox, no look-alike', () => {
  test.each([
    ['ds-eval-aws-web-1', { cloud: 'aws', vm: 'web', index: 1 }],
    ['ds-eval-aws-web-10', { cloud: 'aws', vm: 'web', index: 10 }],
    ['ds-eval-gcp-web-2-3', { cloud: 'gcp', vm: 'web-2', index: 3 }],
    ['ds-eval-aws-web-1-old', undefined],
    ['ds-eval-aws-web-01', undefined],
    ['ds-eval-aws-web-', undefined],
    ['ds-eval-aws--1', undefined],
    ['ds-eval-aws-x-gcp-y-1', undefined],
    ['ds-evalx-aws-web-1', undefined],
    ['ds-eval-azure-web-1', undefined],
    ['other-host', undefined],
  ])('%s', (name, parsed) => {
    expect(parseDisplayName('ds-eval', name)).toEqual(parsed);
  });

  test('sandboxComputersOf: by grammar, flagged when the config no longer has them, each ID once, only the clouds asked for', () => {
    const found = [
      { ID: 1, displayName: 'ds-eval-aws-web-1' },
      { ID: 1, displayName: 'ds-eval-aws-web-1' },
      { ID: 2, displayName: 'ds-eval-aws-web-3' },
      { ID: 3, displayName: 'ds-eval-aws-web-1-old' },
      { ID: 4, displayName: 'ds-eval-gcp-web-1' },
      { displayName: 'ds-eval-aws-web-2' },
    ];
    expect(dedupeById(found).map((c) => c.ID)).toEqual([1, 2, 3, 4, undefined]);
    const ours = sandboxComputersOf(found, 'ds-eval', ['aws'], ['ds-eval-aws-web-1', 'ds-eval-aws-web-2']);
    expect(ours.map((c) => [c.computer.ID, c.vm, c.index, c.inConfig])).toEqual([
      [1, 'web', 1, true],
      [2, 'web', 3, false],
    ]);
  });
});
