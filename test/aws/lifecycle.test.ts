/**
 * What a real `cdk deploy` of a changed config and a `cdk destroy` would do, read from templates:
 * - a changed boot script replaces the VM and gates the update on a new wait condition
 *   (user data runs once per instance; a completed wait condition never waits again);
 * - a change that leaves the script alone touches neither;
 * - every Lambda function the CDK adds logs to a group the stack owns, so none is left behind.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FunctionLogGroups } from '../../lib/aws/function-log-groups';
import { bootScriptDigest } from '../../lib/aws/sandbox-vm';
import { configWith } from '../helpers/config';
import { resourcesOf, synthAws, type Synthesized } from './synth';

/** Logical ids of the instance, handle and wait condition of each display name. */
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

describe('updates: the wait condition gates every change of a VM\'s boot script', () => {
  let base: ReturnType<typeof vmIds>;
  let again: ReturnType<typeof vmIds>;
  let newPolicy: ReturnType<typeof vmIds>;
  let biggerType: ReturnType<typeof vmIds>;
  let baseJson: any;
  beforeAll(() => {
    const first = synthAws(configWith());
    base = vmIds(first);
    baseJson = first.json;
    again = vmIds(synthAws(configWith()));
    newPolicy = vmIds(synthAws(configWith((r) => (r.aws.vms[0].policy = { id: 42 }))));
    biggerType = vmIds(synthAws(configWith((r) => (r.aws.vms[0].instanceType = 't3.large'))));
  });

  test('the same config synthesizes the same logical ids (no spurious replacement)', () => {
    expect(again).toEqual(base);
  });

  test('a new policy for one VM: new instance, handle and wait condition for it, nothing new for the other', () => {
    const [web, win] = ['ds-eval-aws-web-1', 'ds-eval-aws-win-1'];
    expect(newPolicy[web].instance).not.toBe(base[web].instance);
    expect(newPolicy[web].handle).not.toBe(base[web].handle);
    expect(newPolicy[web].condition).not.toBe(base[web].condition);
    expect(newPolicy[win]).toEqual(base[win]);
  });

  test('an instance type change keeps the instance (EC2 resizes it in place) and its completed wait condition', () => {
    expect(biggerType).toEqual(base);
  });

  test('the template wires the renamed pieces together: condition on its own handle, after its own instance', () => {
    for (const ids of Object.values(base)) {
      const condition = baseJson.Resources[ids.condition];
      expect(condition.Properties.Handle).toEqual({ Ref: ids.handle });
      expect(condition.DependsOn).toEqual([ids.instance]);
      expect(JSON.stringify(baseJson.Resources[ids.instance].Properties.UserData)).toContain(JSON.stringify({ Ref: ids.handle }));
    }
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
