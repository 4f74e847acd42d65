/**
 * The AWS sandbox stack synthesized from the bundled example (two VMs: Amazon Linux 2023 and
 * Windows Server 2022): what gets created, how the VMs boot and must activate, and that
 * `cdk destroy` leaves nothing behind.
 */
import { Match } from 'aws-cdk-lib/assertions';
import * as agent from '../../lib/agent';
import { athenaEventsSource } from '../../lib/aws/athena-analytics';
import { REPORTS, reportSql } from '../../lib/events';
import { configWith } from '../helpers/config';
import { resourcesOf, synthAws, type Synthesized } from './synth';

// Record what the stack asks the boot-script renderer for, while rendering for real.
jest.mock('../../lib/agent', () => {
  const actual = jest.requireActual('../../lib/agent');
  return { ...actual, renderBootScript: jest.fn(actual.renderBootScript) };
});

describe('AWS sandbox stack from the bundled example', () => {
  let s: Synthesized;
  let renderCalls: Parameters<typeof agent.renderBootScript>[];
  beforeAll(() => {
    s = synthAws(configWith());
    renderCalls = jest.mocked(agent.renderBootScript).mock.calls;
  });

  test('one instance, wait condition handle and wait condition per VM instance', () => {
    s.template.resourceCountIs('AWS::EC2::Instance', 2);
    s.template.resourceCountIs('AWS::CloudFormation::WaitConditionHandle', 2);
    s.template.resourceCountIs('AWS::CloudFormation::WaitCondition', 2);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::FlowLog', 1);
    s.template.resourceCountIs('AWS::IAM::InstanceProfile', 1);
  });

  test('each wait condition waits activationTimeoutMinutes for one signal on its own handle, after its instance', () => {
    const handles = new Set(resourcesOf(s.json, 'AWS::CloudFormation::WaitConditionHandle').map(([id]) => id));
    const waits = resourcesOf(s.json, 'AWS::CloudFormation::WaitCondition');
    const instances = new Set(resourcesOf(s.json, 'AWS::EC2::Instance').map(([id]) => id));
    const usedHandles = new Set<string>();
    for (const [, w] of waits) {
      expect(w.Properties.Count).toBe(1);
      expect(w.Properties.Timeout).toBe(String(20 * 60));
      expect(handles.has(w.Properties.Handle.Ref)).toBe(true);
      usedHandles.add(w.Properties.Handle.Ref);
      expect(w.DependsOn.filter((d: string) => instances.has(d))).toHaveLength(1);
    }
    expect(usedHandles.size).toBe(2);
  });

  test('the boot script gets the VM, its instance number, its handle URL and the events log group', () => {
    const awsParams = renderCalls.map(([, , , params]) => params as agent.AwsScriptParams);
    expect(renderCalls.map(([, vm, index], i) => [vm.name, index, awsParams[i].cloud, awsParams[i].logGroupName])).toEqual([
      ['web', 1, 'aws', '/dskit/ds-eval/ds-events'],
      ['win', 1, 'aws', '/dskit/ds-eval/ds-events'],
    ]);
    expect(awsParams.map((p) => p.region)).toEqual(['ap-northeast-1', 'ap-northeast-1']);
    const handleRefs = awsParams.map((p) => s.stack.resolve(p.waitHandleUrl));
    const handleIds = resourcesOf(s.json, 'AWS::CloudFormation::WaitConditionHandle').map(([id]) => ({ Ref: id }));
    expect(handleRefs).toEqual(handleIds);
  });

  test('user data is the rendered boot script: bash on Linux, <powershell> on Windows, with the display names', () => {
    const byName = new Map(s.stack.vms.map((vm) => [vm.displayName, vm]));
    expect([...byName.keys()]).toEqual(['ds-eval-aws-web-1', 'ds-eval-aws-win-1']);
    for (const vm of s.stack.vms) {
      const cfn = s.json.Resources[s.stack.resolve(vm.instance.instance.logicalId)];
      expect(cfn.Properties.UserData['Fn::Base64']).toEqual(s.stack.resolve(vm.bootScript.script));
      const userData = JSON.stringify(cfn.Properties.UserData);
      expect(userData).toContain(vm.displayName);
      // The VM signals its own handle and ships to the sandbox's log group.
      expect(userData).toContain(JSON.stringify({ Ref: s.stack.resolve(vm.waitHandle.logicalId) }));
      expect(userData).toContain('/dskit/ds-eval/ds-events');
    }
    expect(byName.get('ds-eval-aws-web-1')!.bootScript.platform).toBe('linux');
    expect(byName.get('ds-eval-aws-web-1')!.bootScript.script).toMatch(/^#!/);
    expect(byName.get('ds-eval-aws-win-1')!.bootScript.platform).toBe('windows');
    expect(byName.get('ds-eval-aws-win-1')!.bootScript.script).toMatch(/^<powershell>[\s\S]*<\/powershell>\s*$/);
  });

  test('instances: IMDSv2 required, encrypted gp3 root on the image root device, terminate on shutdown, tags', () => {
    const expectations: Record<string, { device: string; type: string }> = {
      'ds-eval-aws-web-1': { device: '/dev/xvda', type: 't3.medium' },
      'ds-eval-aws-win-1': { device: '/dev/sda1', type: 't3.large' },
    };
    for (const [, inst] of resourcesOf(s.json, 'AWS::EC2::Instance')) {
      const p = inst.Properties;
      const name = p.Tags.find((t: any) => t.Key === 'dskit-display-name').Value;
      expect(p.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
      expect(p.BlockDeviceMappings).toEqual([
        { DeviceName: expectations[name].device, Ebs: expect.objectContaining({ Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true }) },
      ]);
      expect(p.InstanceType).toBe(expectations[name].type);
      expect(p.InstanceInitiatedShutdownBehavior).toBe('terminate');
      expect(p.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'Name', Value: name },
          { Key: 'dskit-sandbox', Value: 'ds-eval' },
          { Key: 'owner', Value: 'secops@example.com' },
          { Key: 'dskit-vm', Value: name.split('-')[3] },
        ]),
      );
      expect(p.NetworkInterfaces[0].AssociatePublicIpAddress).toBe(true);
      // Synthesized without an account: no image is pinned, so the placeholder no deploy gets past.
      expect(p.ImageId).toEqual({ Ref: 'DskitImageNotPinned' });
    }
  });

  test('the instance role: Session Manager\'s five actions, Run Command\'s six, write to the events log group only, read of the one token secret only', () => {
    const [[roleId, role]] = resourcesOf(s.json, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'),
    );
    // No managed policy: AmazonSSMManagedInstanceCore would let the VM read every SSM parameter of the account.
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = resourcesOf(s.json, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const [logGroupId] = resourcesOf(s.json, 'AWS::Logs::LogGroup').find(([, g]) => g.Properties.LogGroupName === '/dskit/ds-eval/ds-events')!;
    expect(statements).toHaveLength(4);
    const actions = statements.flatMap((st: any) => [st.Action].flat());
    expect(actions.filter((a: string) => /^ssm:|^ssmmessages:/.test(a)).sort()).toEqual([
      'ssm:UpdateInstanceInformation',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    // Run Command (dskit exercise): the agent's own message channel, nothing that reads account data.
    expect(actions.filter((a: string) => a.startsWith('ec2messages:')).sort()).toEqual([
      'ec2messages:AcknowledgeMessage',
      'ec2messages:DeleteMessage',
      'ec2messages:FailMessage',
      'ec2messages:GetEndpoint',
      'ec2messages:GetMessages',
      'ec2messages:SendReply',
    ]);
    const readers = ['secretsmanager:GetSecretValue', 'logs:DescribeLogStreams', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages'];
    expect(actions.some((a: string) => /Get|List|Describe/.test(a) && !readers.includes(a))).toBe(false);
    // The only statements on Resource "*" are Session Manager's and Run Command's (what the IAM5 acknowledgement says).
    expect(statements.filter((st: any) => st.Resource === '*').map((st: any) => st.Sid).sort()).toEqual(['RunCommand', 'SessionManager']);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Action: expect.arrayContaining(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']),
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        }),
        expect.objectContaining({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue' }),
      ]),
    );
    expect(statements.find((st: any) => JSON.stringify(st.Action).includes('logs:')).Action).toHaveLength(3);
    const secret = statements.find((st: any) => st.Action === 'secretsmanager:GetSecretValue');
    expect(JSON.stringify(secret.Resource)).toMatch(/:secret:ds-eval-activation-token-\?{6}"/);
  });

  test('events: log group, bucket, Firehose with CloudWatch Logs decompression and line delimiting, subscription', () => {
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/dskit/ds-eval/ds-events', RetentionInDays: 30 });
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/dskit/ds-eval/vpc-flow-logs', RetentionInDays: 30 });
    const [[, stream]] = resourcesOf(s.json, 'AWS::KinesisFirehose::DeliveryStream');
    const dest = stream.Properties.ExtendedS3DestinationConfiguration;
    expect(dest.Prefix).toBe('events/!{timestamp:yyyy/MM/dd/HH}/');
    expect(dest.ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['Decompression', 'CloudWatchLogProcessing', 'AppendDelimiterToRecord']);
    expect(dest.ProcessingConfiguration.Processors[1].Parameters).toEqual([{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }]);
    expect(stream.Properties.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const [[, sub]] = resourcesOf(s.json, 'AWS::Logs::SubscriptionFilter');
    expect(sub.Properties.FilterPattern).toBe('');
    expect(sub.Properties.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
  });

  test('buckets: encrypted, public access blocked, TLS only, expire with the retention, emptied on delete', () => {
    const buckets = resourcesOf(s.json, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [id, b] of buckets) {
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 30, Status: 'Enabled' });
      const autoDelete = resourcesOf(s.json, 'Custom::S3AutoDeleteObjects').filter(([, r]) => r.Properties.BucketName.Ref === id);
      expect(autoDelete).toHaveLength(1);
      const policy = resourcesOf(s.json, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === id)![1];
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  test('nothing is retained or snapshotted: every resource goes with `cdk destroy`', () => {
    const kept = Object.entries<any>(s.json.Resources).filter(
      ([, r]) => ['Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(r.DeletionPolicy) || ['Retain', 'Snapshot'].includes(r.UpdateReplacePolicy),
    );
    expect(kept.map(([id]) => id)).toEqual([]);
    // Log groups made by services on first write would outlive the stack; ours all exist in it
    // (events, flow logs, Firehose errors, and one per CDK custom-resource function).
    s.template.resourceCountIs('AWS::Logs::LogGroup', 5);
    s.template.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
  });

  test('Athena: Glue table over the raw lines with a projected hourly partition, workgroup with its own results bucket', () => {
    const [[, table]] = resourcesOf(s.json, 'AWS::Glue::Table');
    const input = table.Properties.TableInput;
    expect(table.Properties.DatabaseName).toBe('dskit_ds_eval');
    expect(input.Name).toBe('ds_events');
    expect(input.StorageDescriptor.Columns).toEqual([expect.objectContaining({ Name: 'line', Type: 'string' })]);
    expect(input.PartitionKeys).toEqual([{ Name: 'datehour', Type: 'string' }]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.datehour.type': 'date',
      'projection.datehour.format': 'yyyy/MM/dd/HH',
      'projection.datehour.interval.unit': 'HOURS',
    });
    const [[, wg]] = resourcesOf(s.json, 'AWS::Athena::WorkGroup');
    expect(wg.Properties.Name).toBe('dskit-ds-eval');
    expect(wg.Properties.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
    const eventsBucket = s.stack.getLogicalId(s.stack.events.bucket.bucket.node.defaultChild as any);
    const resultsBucket = s.stack.getLogicalId(s.stack.analytics.resultsBucket.bucket.node.defaultChild as any);
    expect(resultsBucket).not.toBe(eventsBucket);
    expect(JSON.stringify(wg.Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation)).toContain(resultsBucket);
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain(eventsBucket);
  });

  test('one named query per report, with the SQL of lib/events over the Glue table', () => {
    const queries = resourcesOf(s.json, 'AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    const source = athenaEventsSource('dskit_ds_eval', 'ds_events');
    expect(queries.map((q) => q.Name).sort()).toEqual(REPORTS.map((r) => r.title).sort());
    for (const report of REPORTS) {
      const q = queries.find((x) => x.Name === report.title);
      expect(q.QueryString).toBe(reportSql(report.id, 'athena', source));
      expect(q.Database).toBe('dskit_ds_eval');
      expect(q.WorkGroup).toEqual({ Ref: resourcesOf(s.json, 'AWS::Athena::WorkGroup')[0][0] });
    }
  });

  test('the example\'s placeholder manager values make the deploy fail before anything is created', () => {
    const rules = Object.entries<any>(s.json.Rules).filter(([id]) => id !== 'CheckBootstrapVersion');
    expect(rules).toHaveLength(1);
    const [assertion] = rules[0][1].Assertions;
    expect(assertion.AssertDescription).toContain('test.yaml: manager.tenantId: "00000000-0000-0000-0000-000000000000" is a placeholder');
    expect(assertion.AssertDescription).toContain('manager.tenantNumericId');
    expect(assertion.AssertDescription).toContain('no agent signing key at agents/keys/ds-agent-signing-key.asc');
    // The rule is false whatever the deployer passes: its parameter allows only "placeholder".
    const param = s.json.Parameters[assertion.Assert['Fn::Equals'][0].Ref];
    expect(param.AllowedValues).toEqual(['placeholder']);
    expect(assertion.Assert['Fn::Equals'][1]).not.toBe('placeholder');
  });

  test('outputs: instance id per display name, bucket, workgroup, Glue database and table, log group', () => {
    const outputs = s.json.Outputs;
    expect(Object.values<any>(outputs).map((o) => o.Description)).toEqual(
      expect.arrayContaining(['EC2 instance id of ds-eval-aws-web-1', 'EC2 instance id of ds-eval-aws-win-1']),
    );
    expect(outputs.EventsBucket.Value).toEqual({ Ref: s.stack.getLogicalId(s.stack.events.bucket.bucket.node.defaultChild as any) });
    expect(outputs.AthenaWorkGroup.Value).toEqual({ Ref: resourcesOf(s.json, 'AWS::Athena::WorkGroup')[0][0] });
    expect(outputs.GlueDatabase.Value).toBe('dskit_ds_eval');
    expect(outputs.GlueTable.Value).toBe('ds_events');
    expect(outputs.EventsLogGroup.Value).toEqual({ Ref: expect.stringMatching(/^EventsLogGroup/) });
    s.template.hasOutput('*', { Value: { Ref: Match.stringLikeRegexp('^Vmweb1Instance') } });
  });
});
