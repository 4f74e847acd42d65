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

/**
 * One read of an instance's status:
 * - `value`: the attribute as written (`undefined`: not written yet, the VM is still booting);
 * - `transient`: worth another try (rate limit, 5xx, network);
 * - `permanent`: no retry can help (no permission, API disabled, the VM does not exist).
 */
export type StatusRead =
  | { readonly kind: 'value'; readonly value: string | undefined }
  | { readonly kind: 'transient'; readonly reason: string }
  | { readonly kind: 'permanent'; readonly reason: string };

/** What the Compute Engine API answered, for `classifyReadFailure`. */
export interface ApiFailure {
  /** HTTP status; undefined when no answer came (DNS, connection reset, timeout). */
  readonly status?: number;
  /** `error.errors[].reason` of a Google API error body (e.g. rateLimitExceeded). */
  readonly reasons?: readonly string[];
  readonly message: string;
}

/** Google APIs answer some rate limits with 403; those pass. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

/**
 * Which failures of a getGuestAttributes call are worth retrying. A 404 means the attribute is
 * not written yet when the VM exists, and that the VM is gone when it does not: `instanceExists`
 * says which (the caller asks instances.get).
 */
export function classifyReadFailure(instance: string, zone: string, failure: ApiFailure, instanceExists?: boolean): StatusRead {
  const { status, message } = failure;
  if (status === 404) {
    if (instanceExists === false) {
      return { kind: 'permanent', reason: `VM ${instance} does not exist in zone ${zone} (HTTP 404): it was deleted or never created; see the deploy's output above` };
    }
    return { kind: 'value', value: undefined };
  }
  if (status === 403 && failure.reasons?.some((r) => RATE_LIMIT_REASONS.has(r))) return { kind: 'transient', reason: `HTTP 403 ${message}` };
  if (status === 401 || status === 403) {
    return {
      kind: 'permanent',
      reason:
        `reading VM ${instance}'s guest attributes was refused (HTTP ${status}: ${message}); the identity that deploys needs ` +
        'compute.instances.getGuestAttributes (e.g. roles/compute.viewer) and the Compute Engine API enabled',
    };
  }
  if (status === 400) return { kind: 'permanent', reason: `reading VM ${instance}'s guest attributes: HTTP 400 ${message}` };
  return { kind: 'transient', reason: status === undefined ? message : `HTTP ${status} ${message}` };
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
  readonly readStatus: (instance: string) => Promise<StatusRead>;
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
  if (s.pollSeconds !== undefined && !(typeof s.pollSeconds === 'number' && s.pollSeconds > 0)) {
    problems.push(`pollSeconds: got ${JSON.stringify(s.pollSeconds)}; allowed: a number of seconds above 0`);
  }
  if (problems.length > 0) throw new Error(`activation wait: ${problems.join('; ')}`);
  return s as WaitSpec;
}

const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min`;

/**
 * Polls every instance's status until all have an outcome or the timeout passes. A transient read
 * error is logged and retried (IAM and the API can lag a fresh deploy); a permanent one ends the
 * wait at once, naming the VM. A VM that reports `failed:` fails the wait with its reason once
 * every VM has answered or time is up.
 */
export async function waitForActivation(spec: WaitSpec, io: WaitIo): Promise<WaitResult> {
  const started = io.now();
  const deadline = started + spec.timeoutMinutes * 60_000;
  const pollMs = (spec.pollSeconds ?? 15) * 1000;
  const outcomes = new Map<string, InstanceOutcome>(spec.instances.map((i) => [i, { state: 'pending' }]));
  const pending = () => [...outcomes].filter(([, o]) => o.state === 'pending').map(([i]) => i);
  const count = (state: InstanceOutcome['state']) => [...outcomes.values()].filter((o) => o.state === state).length;

  io.log(`dskit: waiting up to ${spec.timeoutMinutes} min for ${spec.instances.length} agent(s) to activate (guest attribute ${STATUS_NAMESPACE}/${STATUS_KEY})`);
  let stopped = false;
  for (;;) {
    for (const instance of pending()) {
      const read = await io.readStatus(instance);
      if (read.kind === 'transient') {
        io.log(`dskit: ${instance}: cannot read its status yet (${read.reason}); retrying`);
        continue;
      }
      if (read.kind === 'permanent') {
        outcomes.set(instance, { state: 'failed', reason: read.reason });
        io.log(`dskit: ${instance}: ${read.reason}`);
        stopped = true;
        break;
      }
      const outcome = outcomeOf(read.value);
      outcomes.set(instance, outcome);
      if (outcome.state === 'activated') io.log(`dskit: ${instance}: ${outcome.detail}`);
      if (outcome.state === 'failed') io.log(`dskit: ${instance}: FAILED: ${outcome.reason}`);
    }
    const waiting = pending();
    if (stopped) {
      io.log(`dskit: stopped waiting: no retry can fix that${waiting.length ? `; not checked: ${waiting.join(', ')}` : ''}`);
      break;
    }
    if (waiting.length === 0) break;
    if (io.now() >= deadline) {
      for (const instance of waiting) {
        outcomes.set(instance, {
          state: 'failed',
          reason: `no outcome after ${spec.timeoutMinutes} min (gcp.activationTimeoutMinutes); see its serial console (gcloud compute instances get-serial-port-output ${instance} --zone ${spec.zone} --project ${spec.project})`,
        });
      }
      break;
    }
    io.log(
      `dskit: ${count('activated')} activated, ${count('failed')} failed, ${waiting.length} still waiting ` +
        `(${minutes(io.now() - started)} of ${spec.timeoutMinutes} min): ${waiting.join(', ')}`,
    );
    await io.sleep(Math.min(pollMs, Math.max(0, deadline - io.now())));
  }

  const failed = [...outcomes].filter(([, o]) => o.state === 'failed');
  for (const [instance, o] of failed) if (o.state === 'failed') io.log(`dskit: activation failed on ${instance}: ${o.reason}`);
  return { ok: failed.length === 0, outcomes };
}
