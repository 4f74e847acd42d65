/**
 * `cdktf deploy` succeeds only once every agent has activated (SPEC §1, as on AWS): each VM's
 * boot script writes guest attribute `dskit/status` — `activated` (possibly with a warning) or
 * `failed: <reason>` — and this polls them until all have answered or the time is up.
 *
 * Pure logic with injected I/O, so it is tested without a cloud; activation-wait-main.ts wires it
 * to the Compute Engine API.
 */

/** Guest attribute the boot scripts write their outcome to. */
export const STATUS_NAMESPACE = 'dskit';
export const STATUS_KEY = 'status';

export type InstanceOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'activated'; readonly detail: string }
  | { readonly state: 'failed'; readonly reason: string };

/** Reads one guest attribute value: `undefined` while the boot script has not written it. */
export function outcomeOf(value: string | undefined): InstanceOutcome {
  if (value === undefined || value.trim() === '') return { state: 'pending' };
  const v = value.trim();
  if (/^activated\b/i.test(v)) return { state: 'activated', detail: v };
  return { state: 'failed', reason: v.replace(/^failed:\s*/i, '') || 'no reason given' };
}

export interface WaitSpec {
  readonly project: string;
  readonly zone: string;
  readonly instances: readonly string[];
  readonly timeoutMinutes: number;
  /** @default 15 */
  readonly pollSeconds?: number;
}

export interface WaitIo {
  /** The `dskit/status` value of an instance, `undefined` if not written yet. */
  readonly readStatus: (instance: string) => Promise<string | undefined>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface WaitResult {
  readonly ok: boolean;
  readonly outcomes: ReadonlyMap<string, InstanceOutcome>;
}

export function validateWaitSpec(spec: unknown): WaitSpec {
  const s = spec as Partial<WaitSpec> | null;
  const problems: string[] = [];
  if (!s || typeof s !== 'object') throw new Error('activation wait: expected a JSON object {project, zone, instances, timeoutMinutes}');
  if (typeof s.project !== 'string' || s.project === '') problems.push(`project: got ${JSON.stringify(s.project)}; allowed: a GCP project id`);
  if (typeof s.zone !== 'string' || s.zone === '') problems.push(`zone: got ${JSON.stringify(s.zone)}; allowed: a GCP zone`);
  if (!Array.isArray(s.instances) || s.instances.some((i) => typeof i !== 'string' || !/^[a-z][-a-z0-9]{0,62}$/.test(i))) {
    problems.push(`instances: got ${JSON.stringify(s.instances)}; allowed: a list of instance names`);
  }
  if (typeof s.timeoutMinutes !== 'number' || !(s.timeoutMinutes > 0)) {
    problems.push(`timeoutMinutes: got ${JSON.stringify(s.timeoutMinutes)}; allowed: a number of minutes above 0`);
  }
  if (problems.length > 0) throw new Error(`activation wait: ${problems.join('; ')}`);
  return s as WaitSpec;
}

/**
 * Polls every instance's status until all have an outcome or the timeout passes. A read error is
 * logged and retried (IAM and the API can lag a fresh deploy); a failed VM fails the wait with its
 * reason as soon as every VM has answered or time is up.
 */
export async function waitForActivation(spec: WaitSpec, io: WaitIo): Promise<WaitResult> {
  const deadline = io.now() + spec.timeoutMinutes * 60_000;
  const pollMs = (spec.pollSeconds ?? 15) * 1000;
  const outcomes = new Map<string, InstanceOutcome>(spec.instances.map((i) => [i, { state: 'pending' }]));
  const pending = () => [...outcomes].filter(([, o]) => o.state === 'pending').map(([i]) => i);

  io.log(`dskit: waiting up to ${spec.timeoutMinutes} min for ${spec.instances.length} agent(s) to activate (guest attribute ${STATUS_NAMESPACE}/${STATUS_KEY})`);
  for (;;) {
    for (const instance of pending()) {
      let value: string | undefined;
      try {
        value = await io.readStatus(instance);
      } catch (err) {
        io.log(`dskit: ${instance}: cannot read its status yet (${(err as Error).message}); retrying`);
        continue;
      }
      const outcome = outcomeOf(value);
      outcomes.set(instance, outcome);
      if (outcome.state === 'activated') io.log(`dskit: ${instance}: ${outcome.detail}`);
      if (outcome.state === 'failed') io.log(`dskit: ${instance}: FAILED: ${outcome.reason}`);
    }
    const waiting = pending();
    if (waiting.length === 0) break;
    if (io.now() >= deadline) {
      for (const instance of waiting) {
        outcomes.set(instance, {
          state: 'failed',
          reason: `no outcome after ${spec.timeoutMinutes} min; see its serial console (gcloud compute instances get-serial-port-output ${instance} --zone ${spec.zone} --project ${spec.project})`,
        });
      }
      break;
    }
    const done = spec.instances.length - waiting.length;
    io.log(`dskit: ${done}/${spec.instances.length} answered; waiting for ${waiting.join(', ')}`);
    await io.sleep(Math.min(pollMs, Math.max(0, deadline - io.now())));
  }

  const failed = [...outcomes].filter(([, o]) => o.state === 'failed');
  for (const [instance, o] of failed) if (o.state === 'failed') io.log(`dskit: activation failed on ${instance}: ${o.reason}`);
  return { ok: failed.length === 0, outcomes };
}
