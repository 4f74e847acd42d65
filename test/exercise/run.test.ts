/**
 * The exercise loop with scripted VMs and a scripted sink on a fake clock: every event seen, a
 * missing event (and its likeliest reason), a failed trigger, a VM that never answers, the
 * deadline, the baseline that keeps earlier events out, and a sink that cannot be queried.
 */
import type { ModuleKey } from '../../lib/exercise/catalogue';
import { TRIGGERS } from '../../lib/exercise/catalogue';
import type { EventCount, EventWindow } from '../../lib/exercise/query';
import type { ComputerFacts, Readiness } from '../../lib/exercise/readiness';
import { ExerciseError, runExercise, type Cell, type EventSink, type ExerciseIo, type Row, type TriggerAnswer, type TriggerChannel, type TriggerRequest } from '../../lib/exercise/run';

const READY: Readiness = { off: false, needs: [], notes: [] };

function computer(id: number, displayName: string, extra: Partial<ComputerFacts> = {}): ComputerFacts {
  return { id, displayName, agentStatus: 'active', modules: {}, settings: {}, ...extra };
}

function row(displayName: string, id: number | undefined, modules: ModuleKey[], opts: { readiness?: Partial<Record<ModuleKey, Readiness>>; computer?: Partial<ComputerFacts> } = {}): Row {
  return {
    target: { cloud: 'aws', vm: 'web', index: 1, displayName, platform: 'linux', computer: id === undefined ? undefined : computer(id, displayName, opts.computer) },
    cells: modules.map((module): Cell => {
      const readiness = opts.readiness?.[module] ?? READY;
      return { module, readiness, expected: !readiness.off, state: readiness.off ? 'off' : 'pending' };
    }),
  };
}

/** A clock that only moves when the loop sleeps. */
function fakeIo() {
  let t = Date.UTC(2026, 0, 2, 3, 30);
  const lines: string[] = [];
  const io: ExerciseIo = { now: () => t, sleep: async (ms) => void (t += ms), progress: (l) => lines.push(l) };
  return { io, lines, advance: (ms: number) => (t += ms), now: () => t };
}

/** VMs that answer each module as told, `afterPolls` polls after the start. */
class ScriptedChannel implements TriggerChannel {
  readonly cloud = 'aws' as const;
  started: TriggerRequest[] = [];
  finished = false;
  private polls = 0;
  constructor(
    private readonly answers: (req: TriggerRequest, poll: number) => TriggerAnswer[],
    private readonly clock: () => number,
  ) {}
  async start(_run: string, requests: readonly TriggerRequest[]) {
    this.started = [...requests];
  }
  async poll() {
    this.polls += 1;
    return this.started.flatMap((r) => this.answers(r, this.polls));
  }
  async finish() {
    this.finished = true;
    return ['cleanup note'];
  }
  result(displayName: string, module: ModuleKey, ok = true, detail = 'did it'): TriggerAnswer {
    return { displayName, kind: 'result', result: { module, ok, at: this.clock(), detail } };
  }
}

/** A sink whose rows are whatever the test put there so far. */
class ScriptedSink implements EventSink {
  readonly cloud = 'aws' as const;
  readonly name = 'Athena workgroup dskit-ds-eval';
  readonly pipeline = 'rsyslog → CloudWatch Logs → Firehose → S3';
  rows: EventCount[] = [];
  windows: EventWindow[] = [];
  failNext = 0;
  async count(w: EventWindow) {
    this.windows.push(w);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('AccessDeniedException: not allowed');
    }
    return this.rows.map((r) => ({ ...r }));
  }
  add(hostId: number, module: ModuleKey, events = 1, platform: 'linux' | 'windows' = 'linux') {
    const e = TRIGGERS[module].expects[platform];
    this.rows.push({ hostId, host: null, module: e.module, signatureId: e.signatureIds?.[0] ?? 4000000, act: e.act ? 'Deny' : null, dpt: e.dpt ?? null, events });
  }
}

const ALL: ModuleKey[] = ['am', 'wrs', 'ips', 'im', 'li', 'fw'];

describe('every event arrives', () => {
  const { io, lines, now } = fakeIo();
  const sink = new ScriptedSink();
  const channel: ScriptedChannel = new ScriptedChannel((r, poll): TriggerAnswer[] => (poll === 1 ? r.modules.map((m) => channel.result(r.target.displayName, m)) : []), now);
  let result: Awaited<ReturnType<typeof runExercise>>;

  beforeAll(async () => {
    const rows = [row('ds-eval-aws-web-1', 101, ALL)];
    let round = 0;
    const original = sink.count.bind(sink);
    sink.count = async (w) => {
      round += 1;
      // The events land one query after the triggers ran.
      if (round === 3) for (const m of ALL) sink.add(101, m);
      return original(w);
    };
    result = await runExercise({ run: 'x1', rows, waitMs: 600_000, intervalMs: 10_000, channels: [channel], sinks: [sink] }, io);
  });

  test('is ok, with every cell seen and a latency from the trigger', () => {
    expect(result.ok).toBe(true);
    const cells = result.rows[0].cells;
    expect(cells.map((c) => c.state)).toEqual(ALL.map(() => 'seen'));
    for (const c of cells) expect([c.seenAt! - c.triggeredAt!, c.latencyMs]).toEqual([10_000, 10_000]);
  });

  test('asks the sink about the expected modules, the computer id and its names, from the hour before the start', () => {
    const w = sink.windows[0];
    expect(w.modules).toEqual(ALL.map((m) => TRIGGERS[m].module));
    expect(w.hostIds).toEqual([101]);
    expect(w.hostNames).toEqual(['ds-eval-aws-web-1']);
    expect(w.since.toISOString()).toBe('2026-01-02T03:00:00.000Z');
  });

  test('stops as soon as all are seen, shows progress, and cleans up', () => {
    expect(result.finishedAt - result.startedAt).toBe(10_000);
    expect(lines[0]).toMatch(/^exercise x1: baseline taken from Athena workgroup dskit-ds-eval; sending the triggers$/);
    expect(lines[1]).toMatch(/^exercise: 0 of 6 seen, 6 triggered and waiting; checking again in 10 s \(10 min left\)$/);
    expect(channel.finished).toBe(true);
    expect(result.warnings).toEqual(['cleanup note']);
  });
});

describe('a missing event, a failed trigger and a VM that never answers, at the deadline', () => {
  const { io, now } = fakeIo();
  const sink = new ScriptedSink();
  const channel: ScriptedChannel = new ScriptedChannel((r, poll): TriggerAnswer[] => {
    if (poll !== 1) return [{ displayName: r.target.displayName, kind: 'progress', detail: 'Run Command InProgress' }];
    if (r.target.displayName === 'ds-eval-aws-silent-1') return [];
    return [
      channel.result(r.target.displayName, 'am'),
      channel.result(r.target.displayName, 'ips'),
      channel.result(r.target.displayName, 'li', false, 'nothing listens on 127.0.0.1:22 (sshd is not running)'),
    ];
  }, now);
  let result: Awaited<ReturnType<typeof runExercise>>;
  const cell = (name: string, m: ModuleKey) => result.rows.find((r) => r.target.displayName === name)!.cells.find((c) => c.module === m)!;

  beforeAll(async () => {
    // Earlier events of the same kind are in the sink already: they must not count.
    sink.add(101, 'ips', 3);
    const rows = [row('ds-eval-aws-web-1', 101, ['am', 'ips', 'li']), row('ds-eval-aws-silent-1', 103, ['am'])];
    const original = sink.count.bind(sink);
    let round = 0;
    sink.count = async (w) => {
      round += 1;
      if (round === 2) sink.add(101, 'am');
      return original(w);
    };
    result = await runExercise({ run: 'x2', rows, waitMs: 60_000, intervalMs: 15_000, channels: [channel], sinks: [sink] }, io);
  });

  test('is not ok, and waited the whole time', () => {
    expect(result.ok).toBe(false);
    expect(result.finishedAt - result.startedAt).toBe(60_000);
  });

  test('the event that arrived is seen', () => {
    expect(cell('ds-eval-aws-web-1', 'am').state).toBe('seen');
  });

  test('an event that was in the sink before the run does not count: it is missing, and since another event of the VM arrived, it says not detected', () => {
    const ips = cell('ds-eval-aws-web-1', 'ips');
    expect(ips.state).toBe('missing');
    expect(ips.reason).toMatch(/^not detected: other events of ds-eval-aws-web-1 reached Athena workgroup dskit-ds-eval, so forwarding works, but no Intrusion Prevention event/);
  });

  test('a failed trigger says what the VM said', () => {
    const li = cell('ds-eval-aws-web-1', 'li');
    expect(li.state).toBe('trigger-failed');
    expect(li.reason).toBe('nothing listens on 127.0.0.1:22 (sshd is not running)');
  });

  test('a VM that never ran the trigger is a failed trigger with its last word', () => {
    const am = cell('ds-eval-aws-silent-1', 'am');
    expect(am.state).toBe('trigger-failed');
    expect(am.reason).toBe('the VM did not run the trigger within 1 min (last: Run Command InProgress)');
  });
});

describe('the likeliest reason of a missing event', () => {
  async function missingReason(r: Row, seenElsewhere = false): Promise<string> {
    const { io, now } = fakeIo();
    const sink = new ScriptedSink();
    const other = row('ds-eval-aws-ok-1', 200, ['am']);
    const channel: ScriptedChannel = new ScriptedChannel((req, poll): TriggerAnswer[] => (poll === 1 ? req.modules.map((m) => channel.result(req.target.displayName, m)) : []), now);
    const original = sink.count.bind(sink);
    let round = 0;
    sink.count = async (w) => {
      round += 1;
      if (round === 2 && seenElsewhere) sink.add(200, 'am');
      return original(w);
    };
    const result = await runExercise({ run: 'x3', rows: seenElsewhere ? [r, other] : [r], waitMs: 30_000, intervalMs: 10_000, channels: [channel], sinks: [sink] }, io);
    return result.rows[0].cells[0].reason!;
  }

  test('no computer in the manager comes first', async () => {
    expect(await missingReason(row('ds-eval-aws-web-1', undefined, ['am']))).toMatch(/^no computer named ds-eval-aws-web-1 in the manager/);
  });

  test('then an agent that is not active', async () => {
    const r = row('ds-eval-aws-web-1', 101, ['am'], { computer: { agentStatus: 'error', agentStatusMessages: ['Offline'] } });
    expect(await missingReason(r)).toBe('the agent of ds-eval-aws-web-1 is error in the manager (Offline): it cannot report events');
  });

  test('then what the manager lacks (rule, forwarding)', async () => {
    const r = row('ds-eval-aws-web-1', 101, ['ips'], { readiness: { ips: { off: false, needs: ['assign Intrusion Prevention rule 1005924'], notes: [] } } });
    expect(await missingReason(r)).toBe('assign Intrusion Prevention rule 1005924');
  });

  test('events of other VMs arrived: this VM\'s shipping or lag', async () => {
    expect(await missingReason(row('ds-eval-aws-web-1', 101, ['am']), true)).toMatch(/^pipeline lag or forwarding: events of other VMs arrived, none of ds-eval-aws-web-1's within 30 s; check its shipping \(rsyslog/);
  });

  test('nothing arrived from any VM: the pipeline', async () => {
    expect(await missingReason(row('ds-eval-aws-web-1', 101, ['am']))).toMatch(/^no event of any VM reached Athena workgroup dskit-ds-eval within 30 s: event forwarding or the pipeline/);
  });
});

describe('modules that are off', () => {
  test('are not triggered, not expected, and say what to turn on', async () => {
    const { io, now } = fakeIo();
    const sink = new ScriptedSink();
    const channel: ScriptedChannel = new ScriptedChannel((r, poll): TriggerAnswer[] => (poll === 1 ? r.modules.map((m) => channel.result(r.target.displayName, m)) : []), now);
    sink.count = async () => [{ hostId: 101, host: null, module: 'anti-malware', signatureId: 4000000, act: null, dpt: null, events: channel.started.length ? 1 : 0 }];
    const off: Readiness = { off: true, needs: ['turn Web Reputation On in policy 9 (it is off)'], notes: [] };
    const result = await runExercise({ run: 'x4', rows: [row('ds-eval-aws-web-1', 101, ['am', 'wrs'], { readiness: { wrs: off } })], waitMs: 30_000, channels: [channel], sinks: [sink] }, io);
    expect(channel.started[0].modules).toEqual(['am']);
    expect(result.ok).toBe(true);
    expect(result.rows[0].cells[1]).toMatchObject({ state: 'off', reason: 'turn Web Reputation On in policy 9 (it is off)' });
  });
});

describe('a sink that cannot be queried', () => {
  test('at the start stops the run before anything is triggered', async () => {
    const { io, now } = fakeIo();
    const sink = new ScriptedSink();
    sink.failNext = 1;
    const channel: ScriptedChannel = new ScriptedChannel(() => [], now);
    await expect(runExercise({ run: 'x5', rows: [row('ds-eval-aws-web-1', 101, ['am'])], waitMs: 30_000, channels: [channel], sinks: [sink] }, io)).rejects.toThrow(
      new ExerciseError('cannot query Athena workgroup dskit-ds-eval: AccessDeniedException: not allowed'),
    );
    expect(channel.started).toEqual([]);
  });

  test('later is retried, and a failure at the end is the reason', async () => {
    const { io, lines, now } = fakeIo();
    const sink = new ScriptedSink();
    const channel: ScriptedChannel = new ScriptedChannel((r, poll): TriggerAnswer[] => (poll === 1 ? r.modules.map((m) => channel.result(r.target.displayName, m)) : []), now);
    const original = sink.count.bind(sink);
    let round = 0;
    sink.count = async (w) => {
      round += 1;
      if (round > 1) sink.failNext = 1;
      return original(w);
    };
    const result = await runExercise({ run: 'x6', rows: [row('ds-eval-aws-web-1', 101, ['am'])], waitMs: 30_000, intervalMs: 10_000, channels: [channel], sinks: [sink] }, io);
    expect(lines.filter((l) => l.includes('querying Athena workgroup dskit-ds-eval failed')).length).toBeGreaterThanOrEqual(3);
    expect(result.rows[0].cells[0]).toMatchObject({ state: 'missing', reason: 'could not query Athena workgroup dskit-ds-eval at the end: AccessDeniedException: not allowed' });
  });
});

describe('a channel that fails while sending', () => {
  test('still gets to clean up what it sent', async () => {
    const { io, now } = fakeIo();
    const sink = new ScriptedSink();
    const channel: ScriptedChannel = new ScriptedChannel(() => [], now);
    channel.start = async () => {
      throw new Error('network down halfway');
    };
    await expect(runExercise({ run: 'x7', rows: [row('ds-eval-aws-web-1', 101, ['am'])], waitMs: 30_000, channels: [channel], sinks: [sink] }, io)).rejects.toThrow('network down halfway');
    expect(channel.finished).toBe(true);
  });
});
