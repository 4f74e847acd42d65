/**
 * What a real `cdk deploy` of a changed config and a `cdk destroy` would do, read from templates:
 * - anything that replaces a VM (its boot script, its pinned image, its instance type, its zone)
 *   also replaces its wait condition, so the update waits for the new agent to activate (user data
 *   runs once per instance; a completed wait condition never waits again);
 * - a change that leaves the VM alone touches neither;
 * - every Lambda function the CDK adds logs to a group the stack owns, so none is left behind.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FunctionLogGroups } from '../../lib/aws/function-log-groups';
import { subnetIndexFor } from '../../lib/aws/placement';
import { bootScriptDigest } from '../../lib/aws/sandbox-vm';
import { configWith } from '../helpers/config';
import { resourcesOf, synthAws, synthPinned, type Synthesized } from './synth';

/** Logical ids of the instance, handle and wait condition of each display name, and the instance's image and subnet. */
function vmIds(s: Synthesized): Record<string, { instance: string; handle: string; condition: string }> {
  return Object.fromEntries(
    s.stack.vms.map((vm) => [
      vm.displayName,
      {
        instance: s.stack.resolve(vm.instance.instance.logicalId),
        handle: s.stack.resolve(vm.waitHandle.logicalId),
        condition: s.stack.resolve(vm.waitCondition.logicalId),
      },
    ]),
  );
}

const WEB = 'ds-eval-aws-web-1';
const WIN = 'ds-eval-aws-win-1';

describe('updates: every change that replaces a VM gates on a new wait condition', () => {
  let base: Synthesized;
  let ids: Record<string, ReturnType<typeof vmIds>>;
  beforeAll(() => {
    base = synthPinned(configWith());
    ids = {
      base: vmIds(base),
      again: vmIds(synthPinned(configWith())),
      newPolicy: vmIds(synthPinned(configWith((r) => (r.aws.vms[0].policy = { id: 42 })))),
      // `npx cdk context --reset <key>` then a synth that pins the newer Amazon Linux image.
      newImage: vmIds(synthPinned(configWith(), { release: (os) => (os === 'amazon-linux-2023' ? 2 : 1) })),
      biggerType: vmIds(synthPinned(configWith((r) => (r.aws.vms[0].instanceType = 't3.large')))),
      // Entry order decides the zone: swapped, both VMs move to the other subnet.
      swapped: vmIds(synthPinned(configWith((r) => (r.aws.vms = [r.aws.vms[1], r.aws.vms[0]])))),
      retention: vmIds(synthPinned(configWith((r) => (r.events.retentionDays = 90)))),
    };
  });

  const replaced = (variant: string, name: string) => {
    const [b, v] = [ids.base[name], ids[variant][name]];
    return { instance: v.instance !== b.instance, handle: v.handle !== b.handle, condition: v.condition !== b.condition };
  };
  const all = { instance: true, handle: true, condition: true };
  const none = { instance: false, handle: false, condition: false };

  test('the same config and the same pins synthesize the same logical ids (no spurious replacement)', () => {
    expect(ids.again).toEqual(ids.base);
  });

  test('a new policy for one VM: new instance, handle and wait condition for it, nothing new for the other', () => {
    expect(replaced('newPolicy', WEB)).toEqual(all);
    expect(replaced('newPolicy', WIN)).toEqual(none);
  });

  test('a newer pinned image: the VMs of that image are replaced and wait for activation again; the others are not', () => {
    expect(replaced('newImage', WEB)).toEqual(all);
    expect(replaced('newImage', WIN)).toEqual(none);
  });

  test('an instance type change replaces the VM with its gate (a new VM activates before the old one goes)', () => {
    expect(replaced('biggerType', WEB)).toEqual(all);
    expect(replaced('biggerType', WIN)).toEqual(none);
  });

  test('a VM that moves to another zone (subnet) is replaced with its gate', () => {
    expect(replaced('swapped', WEB)).toEqual(all);
    expect(replaced('swapped', WIN)).toEqual(all);
  });

  test('a change that does not touch the VMs (events retention) replaces nothing', () => {
    expect(ids.retention).toEqual(ids.base);
  });

  test('the template wires the renamed pieces together: condition on its own handle, after its own instance', () => {
    for (const id of Object.values(ids.base)) {
      const condition = base.json.Resources[id.condition];
      expect(condition.Properties.Handle).toEqual({ Ref: id.handle });
      expect(condition.DependsOn).toEqual([id.instance]);
      expect(JSON.stringify(base.json.Resources[id.instance].Properties.UserData)).toContain(JSON.stringify({ Ref: id.handle }));
    }
  });
});

describe('images are pinned per sandbox, not resolved at deploy time', () => {
  let pinned: Synthesized;
  let unpinned: Synthesized;
  beforeAll(() => {
    pinned = synthPinned(configWith());
    unpinned = synthAws(configWith());
  });

  test('a pinned stack carries the AMI ids of cdk.context.json as literals: a new release changes nothing until the pin is reset', () => {
    const images = resourcesOf(pinned.json, 'AWS::EC2::Instance').map(([, i]) => i.Properties.ImageId);
    expect(images.every((id) => typeof id === 'string' && /^ami-[0-9a-f]{17}$/.test(id))).toBe(true);
    expect(Object.values<any>(pinned.json.Parameters ?? {}).filter((p) => String(p.Type).includes('Image'))).toEqual([]);
  });

  test('the lookup is keyed by the sandbox, so two sandboxes in one account move to new images independently', () => {
    const keys = pinned.stack.vms.map((vm) => vm.image.contextKey);
    expect(keys).toEqual([expect.stringContaining('additionalCacheKey=dskit-sandbox-ds-eval'), expect.stringContaining('additionalCacheKey=dskit-sandbox-ds-eval')]);
    expect(keys[0]).toContain('parameterName=/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    const other = synthPinned(configWith((r) => (r.name = 'lab2')));
    expect(other.stack.vms[0].image.contextKey).not.toBe(keys[0]);
  });

  test('nothing pinned (no account): the template synthesizes, and the deploy is refused naming each VM\'s image and what to run', () => {
    const blockers = unpinned.stack.deployBlockers.filter((b) => b.includes('not pinned'));
    expect(blockers).toEqual([
      expect.stringMatching(/^test\.yaml: aws\.vms\[0\]\.os: the amazon-linux-2023 \(x86_64\) image is not pinned yet: .*npx cdk synth.*AWS credentials/),
      expect.stringMatching(/^test\.yaml: aws\.vms\[1\]\.os: the windows-2022 \(x86_64\) image is not pinned yet/),
    ]);
    const rule = Object.entries<any>(unpinned.json.Rules).find(([id]) => id !== 'CheckBootstrapVersion')![1];
    expect(rule.Assertions[0].AssertDescription).toContain('aws.vms[0].os: the amazon-linux-2023 (x86_64) image is not pinned yet');
    // The placeholder image can only be the one value no AMI has.
    expect(unpinned.json.Parameters.DskitImageNotPinned).toMatchObject({ Type: 'AWS::EC2::Image::Id', Default: 'dskit-image-not-pinned' });
  });

  test('an account but no lookup done yet (the app run without the CDK CLI): refused too, images and zones', () => {
    const s = synthAws(configWith(), { account: '123456789012' });
    expect(s.stack.deployBlockers.filter((b) => b.includes('not pinned'))).toEqual([
      expect.stringMatching(/aws\.vms\[0\]\.os: the amazon-linux-2023 \(x86_64\) image is not pinned yet: run `npx cdk synth`/),
      expect.stringMatching(/aws\.vms\[1\]\.os: the windows-2022/),
      expect.stringMatching(/aws\.region: the availability zones are not pinned yet/),
    ]);
    // The CDK CLI reads these from the assembly, looks them up and pins them in cdk.context.json.
    const missing = s.app.synth().getStackArtifact(s.stack.artifactId).assembly.manifest.missing ?? [];
    expect(missing.map((m) => m.provider).sort()).toEqual(['availability-zones', 'ssm', 'ssm']);
  });

  test('pinned: no image or zone refusal', () => {
    expect(pinned.stack.deployBlockers.filter((b) => b.includes('not pinned'))).toEqual([]);
  });
});

describe('zones: VMs spread across the subnets', () => {
  test('subnetIndexFor: an entry\'s instances take turns, each entry starting one zone further', () => {
    expect([1, 2, 3, 4].map((i) => subnetIndexFor(0, i, 2))).toEqual([0, 1, 0, 1]);
    expect([1, 2, 3].map((i) => subnetIndexFor(1, i, 2))).toEqual([1, 0, 1]);
    expect(subnetIndexFor(4, 1, 1)).toBe(0);
  });

  test('the example\'s two VMs are in different subnets (zones)', () => {
    const s = synthPinned(configWith());
    const subnets = resourcesOf(s.json, 'AWS::EC2::Instance').map(([, i]) => JSON.stringify(i.Properties.NetworkInterfaces[0].SubnetId));
    expect(new Set(subnets).size).toBe(2);
    expect(s.stack.vms.map((vm) => s.stack.resolve(vm.subnet.availabilityZone))).toEqual(['ap-northeast-1a', 'ap-northeast-1c']);
  });
});

describe('bootScriptDigest', () => {
  test('ignores deploy-time tokens, follows the script text', () => {
    const a = "WAIT_HANDLE_URL='${Token[TOKEN.12]}'\nPOLICY_ID=9\n";
    expect(bootScriptDigest(a)).toBe(bootScriptDigest(a.replace('TOKEN.12', 'TOKEN.873')));
    expect(bootScriptDigest(a)).not.toBe(bootScriptDigest(a.replace('=9', '=10')));
  });
});

describe('teardown: the CDK\'s own Lambda functions log into the stack\'s groups', () => {
  let s: Synthesized;
  beforeAll(() => (s = synthAws(configWith())));

  test('every function names a log group the stack creates and deletes', () => {
    const functions = resourcesOf(s.json, 'AWS::Lambda::Function');
    // The providers behind autoDeleteObjects and restrictDefaultSecurityGroup.
    expect(functions).toHaveLength(2);
    for (const [, fn] of functions) {
      const ref = fn.Properties.LoggingConfig?.LogGroup?.Ref;
      expect(s.json.Resources[ref]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      // A fixed name would collide with the group Lambda makes itself on other stacks' functions.
      expect(s.json.Resources[ref].Properties.LogGroupName).toBeUndefined();
    }
    expect(new Set(functions.map(([, fn]) => fn.Properties.LoggingConfig.LogGroup.Ref)).size).toBe(2);
  });
});

describe('FunctionLogGroups', () => {
  test('refuses a function that already chose its log group, naming it', () => {
    const stack = new Stack(new App(), 's');
    new lambda.Function(stack, 'Own', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: new (require('aws-cdk-lib/aws-logs').LogGroup)(stack, 'G'),
    });
    expect(() => new FunctionLogGroups(stack, 'Logs')).toThrow(/s\/Own\/Resource already logs to a group of its own/);
  });
});
