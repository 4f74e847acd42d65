/**
 * `dskit exercise` end to end as a user runs it, against the doubles of the manager, SSM, Athena,
 * Compute Engine metadata and BigQuery (test/fixtures/exercise-cloud), with stand-in VMs: every
 * module seen on Linux and Windows on both clouds; then each fault reported as what it is.
 */
import { ALL_MODULES, startLab, type Lab } from './support/lab';

jest.setTimeout(180_000);

const WEB_AWS = 'ds-eval-aws-web-1';
const WIN_AWS = 'ds-eval-aws-win-1';
const WEB_GCP = 'ds-eval-gcp-web-1';

describe('every module on every VM, both clouds', () => {
  let lab: Lab;
  let result: { code: number; stdout: string; stderr: string };
  let json: any;
  let envelope: any;

  beforeAll(async () => {
    lab = await startLab([
      { cloud: 'aws', vm: 'web', os: 'amazon-linux-2023', computerId: 101 },
      { cloud: 'aws', vm: 'win', os: 'windows-2022', computerId: 102 },
      { cloud: 'gcp', vm: 'web', os: 'debian-12', computerId: 103 },
    ]);
    result = await lab.dskit(['--json', 'exercise', '--wait', '60s']);
    envelope = JSON.parse(result.stdout);
    json = envelope.data;
  });
  afterAll(() => lab?.close());

  test('exits 0 with all 18 events seen, each with its latency', () => {
    expect(result.code).toBe(0);
    expect(envelope.ok).toBe(true);
    expect(json.vms.map((v: any) => v.displayName)).toEqual([WEB_AWS, WIN_AWS, WEB_GCP]);
    for (const vm of json.vms) {
      expect(Object.keys(vm.modules)).toEqual(ALL_MODULES);
      for (const m of Object.values(vm.modules) as any[]) {
        expect(m).toMatchObject({ state: 'seen', expected: true, needs: [] });
        expect(m.latencySeconds).toBeGreaterThanOrEqual(0);
        expect(m.latencySeconds).toBeLessThan(30);
      }
    }
    expect(json.sinks).toEqual([
      { cloud: 'aws', name: 'Athena workgroup dskit-ds-eval' },
      { cloud: 'gcp', name: 'BigQuery dataset dskit-lab-1234.dskit_ds_eval_events' },
    ]);
  });

  test('sends one Run Command per platform, to the instance of each display name, every instance even if one fails', () => {
    const sends = lab.aws.calls('AmazonSSM.SendCommand').map((c) => c.body);
    expect(sends.map((s) => [s.DocumentName, s.InstanceIds.length])).toEqual([
      ['AWS-RunShellScript', 1],
      ['AWS-RunPowerShellScript', 1],
    ]);
    for (const s of sends) {
      expect(s).toMatchObject({ MaxConcurrency: '100%', MaxErrors: '100%', Comment: `dskit exercise ${json.run}`, Parameters: { executionTimeout: ['180'] } });
      expect(s.TimeoutSeconds).toBeGreaterThanOrEqual(30);
    }
    // Polled until final, through the first InvocationDoesNotExist.
    expect(lab.aws.calls('AmazonSSM.GetCommandInvocation').length).toBeGreaterThanOrEqual(4);
  });

  test('finds the instances by the sandbox tag, instances only', () => {
    expect(lab.aws.tagging.requests.map((r) => r.body)).toEqual([
      { TagFilters: [{ Key: 'dskit-sandbox', Values: ['ds-eval'] }], ResourceTypeFilters: ['ec2:instance'], ResourcesPerPage: 100 },
    ]);
  });

  test('counts in the sandbox workgroup and database, paging the results, the baseline first', () => {
    const starts = lab.aws.calls('AmazonAthena.StartQueryExecution').map((c) => c.body);
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (const s of starts) expect(s).toMatchObject({ WorkGroup: 'dskit-ds-eval', QueryExecutionContext: { Database: 'dskit_ds_eval' } });
    expect(new Set(starts.map((s) => s.ClientRequestToken)).size).toBe(starts.length);
    const states = lab.aws.calls('AmazonAthena.GetQueryExecution').length;
    expect(states).toBeGreaterThanOrEqual(3 * starts.length);
    // 2 rows a page: with 6 event kinds of 2 hosts the last count needs several pages.
    expect(lab.aws.calls('AmazonAthena.GetQueryResults').some((c) => c.body.NextToken)).toBe(true);
  });

  test('asks the GCP VM through metadata key dskit-exercise, and removes the key at the end', () => {
    expect(lab.received.get(WEB_GCP)).toBe(`run=${json.run} modules=am,wrs,ips,im,li,fw`);
    const sets = lab.gcp.calledWith('POST', '/setMetadata').map((c) => c.body.items.find((i: any) => i.key === 'dskit-exercise')?.value);
    expect(sets).toEqual([`run=${json.run} modules=am,wrs,ips,im,li,fw`, undefined]);
    const inst = lab.gcp.instances.get(WEB_GCP)!;
    expect(inst.metadata.has('dskit-exercise')).toBe(false);
    // The boot script's own metadata stays as it was.
    expect(inst.metadata.get('startup-script')).toContain('quoted');
  });

  test('counts with BigQuery query jobs in the dataset location, through jobComplete false and pages', () => {
    const queries = lab.gcp.calledWith('POST', '/bigquery/v2/projects/dskit-lab-1234/queries').map((c) => c.body);
    for (const q of queries) expect(q).toMatchObject({ useLegacySql: false, location: 'asia-northeast1', formatOptions: { useInt64Timestamp: true }, labels: { 'dskit-sandbox': 'ds-eval' } });
    const results = lab.gcp.calledWith('GET', '/bigquery/v2/projects/dskit-lab-1234/queries/');
    expect(results.length).toBeGreaterThanOrEqual(2 * queries.length);
    expect(results.some((r) => r.query.pageToken)).toBe(true);
    for (const r of results) expect(r.query.location).toBe('asia-northeast1');
  });

  test('reads the manager: the computers with their modules, and the Trend rules by identifier', () => {
    const search = lab.manager.fake.requests.filter((r) => r.path === '/computers/search');
    expect(search[0].query.getAll('expand')).toEqual(['computerStatus', 'computerSettings', 'antiMalware', 'webReputation', 'firewall', 'intrusionPrevention', 'integrityMonitoring', 'logInspection']);
    expect(lab.manager.served.filter((r) => r.path.endsWith('/search')).map((r) => r.body.searchCriteria[0].stringValue)).toEqual(['1003513', '1002773', '1002792', '1002831', '1002795']);
    expect(lab.manager.served.filter((r) => r.path.startsWith('/firewallrules/')).map((r) => r.path)).toEqual([`/firewallrules/${lab.ruleIds.fwDeny}`]);
  });

  test('shows progress on stderr while it waits', () => {
    expect(result.stderr).toMatch(/^exercise x\d{8}t\d{6}-[0-9a-f]{4}: 3 VMs, 18 expected events \(am,wrs,ips,im,li,fw\); waiting up to 1 min$/m);
    expect(result.stderr).toMatch(/^exercise: \d+ of 18 seen, .*; checking again in \d+ s \(\d+ s left\)$/m);
  });
});

describe('faults, each reported as what it is', () => {
  let lab: Lab;
  let result: { code: number; stdout: string; stderr: string };
  const lines = () => result.stdout.split('\n');

  beforeAll(async () => {
    lab = await startLab([
      // The IPS event never comes; the LI trigger fails; WRS is off in the manager.
      {
        cloud: 'aws',
        vm: 'web',
        os: 'ubuntu-24.04',
        computerId: 101,
        behaviour: { ips: 'silent', li: { fail: 'nothing listens on 127.0.0.1:22 (sshd is not running); the Log Inspection test logs in through sshd' } },
        computer: (c) => (c.webReputation.state = 'off'),
      },
      // SSM cannot reach it.
      { cloud: 'aws', vm: 'db', os: 'rhel-9', computerId: 104, ssm: 'unregistered' },
      // Its boot script predates the watcher.
      { cloud: 'gcp', vm: 'old', os: 'debian-12', computerId: 105, watcher: false },
      // Its events arrive only after the deadline.
      { cloud: 'gcp', vm: 'slow', os: 'debian-12', computerId: 106, behaviour: Object.fromEntries(ALL_MODULES.map((m) => [m, { lateMs: 120_000 }])) },
    ]);
    result = await lab.dskit(['exercise', '--modules', 'am,wrs,ips,li,fw', '--wait', '20s']);
    sentByFirstRun = lab.aws.calls('AmazonSSM.SendCommand').flatMap((c) => c.body.InstanceIds);
    // The same run again with --json (its calls are not counted by the tests of the first run).
    jsonResult = await lab.dskit(['--json', 'exercise', '--modules', 'am,wrs,ips,li,fw', '--wait', '20s']);
  });
  afterAll(() => lab?.close());
  let jsonResult: { code: number; stdout: string; stderr: string };
  let sentByFirstRun: string[];

  const detail = (vm: string, module: string) => lines().find((l) => l.startsWith(`  ${vm} ${module}: `)) ?? '';

  test('--json: one error per event missing or trigger failed, and what the manager lacks as warnings', () => {
    expect(jsonResult.code).toBe(1);
    const { ok, exitCode, problems } = JSON.parse(jsonResult.stdout);
    expect([ok, exitCode]).toEqual([false, 1]);
    const errors = problems.filter((p: any) => p.severity === 'error').map((p: any) => p.message);
    expect(errors).toHaveLength(17); // 6 missing + 11 failed triggers, as the human summary counts them
    expect(errors).toContainEqual(expect.stringMatching(/^ds-eval-aws-web-1 Intrusion Prevention: missing: not detected/));
    expect(errors).toContainEqual(expect.stringMatching(/^ds-eval-aws-web-1 Log Inspection: trigger failed: nothing listens on 127\.0\.0\.1:22/));
    expect(problems.filter((p: any) => p.severity === 'warning').map((p: any) => p.message)).toContainEqual(expect.stringMatching(/^the manager lacks: turn Web Reputation On/));
  });

  test('exits 1 after the deadline, with the matrix', () => {
    expect(result.code).toBe(1);
    expect(lines()[0]).toBe('VM                  AM              WRS             IPS             LI              FW');
    expect(lines().slice(1, 5)).toEqual([
      expect.stringMatching(/^ds-eval-aws-web-1 +seen \d+s +seen \d+s +missing +trigger failed +seen \d+s$/),
      expect.stringMatching(/^ds-eval-aws-db-1 +trigger failed +trigger failed +trigger failed +trigger failed +trigger failed$/),
      expect.stringMatching(/^ds-eval-gcp-old-1 +trigger failed +trigger failed +trigger failed +trigger failed +trigger failed$/),
      expect.stringMatching(/^ds-eval-gcp-slow-1 +missing +missing +missing +missing +missing$/),
    ]);
    expect(lines().at(-2)).toMatch(/^exercise x[0-9a-z-]+: 3 of 20 expected events seen in 2\d s; 6 missing, 11 triggers failed \(see above\)$/);
  });

  test('a module asked for by name is triggered even when it is off, and the reason says to turn it on', () => {
    // WRS on web-1 was seen anyway (the stand-in agent detects everything); the line says what the manager lacks.
    expect(lines().some((l) => l.startsWith("  ds-eval-aws-web-1 Web Reputation: seen, though the manager lacks: turn Web Reputation On in policy 9 (or ds-eval-aws-web-1's own settings) (it is off)"))).toBe(true);
  });

  test('a missing event: not detected, since the VM\'s other events arrived', () => {
    expect(detail('ds-eval-aws-web-1', 'Intrusion Prevention')).toMatch(/: missing: not detected: other events of ds-eval-aws-web-1 reached Athena workgroup dskit-ds-eval, so forwarding works, but no Intrusion Prevention event/);
  });

  test('a failed trigger: what the VM said', () => {
    expect(detail('ds-eval-aws-web-1', 'Log Inspection')).toBe(
      '  ds-eval-aws-web-1 Log Inspection: trigger failed: nothing listens on 127.0.0.1:22 (sshd is not running); the Log Inspection test logs in through sshd',
    );
  });

  test('an instance SSM does not know: every trigger failed, saying why and which images lack the agent', () => {
    expect(detail('ds-eval-aws-db-1', 'Anti-Malware')).toMatch(/trigger failed: SSM cannot reach the instance \(i-0\d+: not registered\): Run Command needs the SSM agent running and online .*on Debian and RHEL images install amazon-ssm-agent\)$/);
    expect(sentByFirstRun).toEqual(['i-00000000000000001']);
  });

  test('a VM without the watcher never ran the triggers: failed at the deadline with the last word', () => {
    expect(detail('ds-eval-gcp-old-1', 'Firewall')).toBe('  ds-eval-gcp-old-1 Firewall: trigger failed: the VM did not run the trigger within 20 s (last: metadata dskit-exercise set)');
  });

  test('events later than --wait: missing, pipeline lag or forwarding of this VM', () => {
    expect(detail('ds-eval-gcp-slow-1', 'Anti-Malware')).toMatch(
      /: missing: pipeline lag or forwarding: events of other VMs arrived, none of ds-eval-gcp-slow-1's within 20 s; check its shipping \(agent syslog → Ops Agent → Cloud Logging/,
    );
  });

  test('the metadata key is removed even from the VM that never answered', () => {
    expect(lab.gcp.instances.get('ds-eval-gcp-old-1')!.metadata.has('dskit-exercise')).toBe(false);
  });
});

describe('before anything is triggered', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab([{ cloud: 'aws', vm: 'web', os: 'amazon-linux-2023', computerId: 101 }]);
  });
  afterAll(() => lab?.close());

  test('a sink that cannot be queried stops the run with one line, exit 1, and no Run Command', async () => {
    lab.aws.workGroups.clear();
    const r = await lab.dskit(['exercise', '--wait', '20s']);
    lab.aws.workGroups.add('dskit-ds-eval');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'dskit: cannot query Athena workgroup dskit-ds-eval: InvalidRequestException: WorkGroup dskit-ds-eval is not found.; nothing was triggered',
    );
    expect(lab.aws.calls('AmazonSSM.SendCommand')).toEqual([]);
  });

  test.each([
    [['--modules', 'am,av'], 'dskit: --modules: got "am,av"; allowed: a comma-separated list of am, wrs, ips, im, li, fw'],
    [['--vm', 'nope'], 'dskit: --vm: got "nope"; allowed: a VM name under aws.vms (web) or a display name like ds-eval-aws-web-1'],
    [['--wait', '5s'], 'dskit: --wait: got "5s"; allowed: 10s or more (events take at least seconds to reach a sink)'],
    [['--wait', 'soon'], 'dskit: --wait: got "soon"; expected a duration like 15m, 90s, 1h30m'],
    [['--cloud', 'gcp'], 'dskit: --cloud gcp: '],
  ])('bad usage %j is one line, exit 2', async (args, line) => {
    const r = await lab.dskit(['exercise', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim().startsWith(line)).toBe(true);
  });
});
