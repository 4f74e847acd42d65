/**
 * What travels between `dskit exercise` and the VMs, the same on both clouds and platforms:
 *
 * - the request: `run=<id> modules=<k,k,...>` (GCP: the instance metadata value `dskit-exercise`;
 *   AWS: the arguments of the Run Command script);
 * - one result line per trigger, printed by agents/linux/exercise-triggers.sh and
 *   agents/windows/exercise-triggers.ps1:
 *   `dskit-exercise <module> <ok|failed> <unix seconds> <detail>`
 *   (GCP: the watcher puts the same text, without the leading word, in guest attribute
 *   `dskit-exercise/<module>` as `<run> <ok|failed> <unix seconds> <detail>`, and
 *   `dskit-exercise/watcher` as `<run> <started|done|refused> <unix seconds> <detail>`).
 */
import { isModuleKey, type ModuleKey } from './catalogue';

/** GCP: the instance metadata key the watcher waits on, and the guest attribute namespace it answers in. */
export const EXERCISE_METADATA_KEY = 'dskit-exercise';
export const EXERCISE_NAMESPACE = 'dskit-exercise';
export const WATCHER_KEY = 'watcher';
export const RESULT_WORD = 'dskit-exercise';

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function isRunId(run: string): boolean {
  return RUN_ID.test(run);
}

/** A fresh run id: sortable by time, unique enough across operators (`x20260102t030405-1a2b`). */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  return `x${stamp}-${Math.floor(random() * 0x10000).toString(16).padStart(4, '0')}`;
}

export function requestValue(run: string, modules: readonly ModuleKey[]): string {
  if (!isRunId(run)) throw new RangeError(`exercise run id: got ${JSON.stringify(run)}`);
  return `run=${run} modules=${modules.join(',')}`;
}

export interface TriggerResult {
  readonly module: ModuleKey;
  readonly ok: boolean;
  /** When the VM ran it (ms since epoch, from the VM's clock). */
  readonly at: number;
  readonly detail: string;
}

/** One `dskit-exercise <module> <ok|failed> <unix seconds> <detail>` line, or undefined. */
export function parseResultLine(line: string): TriggerResult | undefined {
  const m = /^dskit-exercise (\S+) (ok|failed) (\d{9,11}) ?(.*)$/.exec(line.trim());
  if (!m || !isModuleKey(m[1])) return undefined;
  return { module: m[1], ok: m[2] === 'ok', at: Number(m[3]) * 1000, detail: m[4].trim() };
}

/** Every result line in a script's output (other lines are the script's own logging). */
export function resultLines(output: string): TriggerResult[] {
  return output
    .split(/\r?\n/)
    .map(parseResultLine)
    .filter((r): r is TriggerResult => r !== undefined);
}

/** A guest attribute `<run> <word> <unix seconds> <detail>` of this run, or undefined (another run's). */
export function parseAttribute(value: string, run: string): { word: string; at: number; detail: string } | undefined {
  const m = /^(\S+) (\S+) (\d{9,11}) ?([\s\S]*)$/.exec(value.trim());
  if (!m || m[1] !== run) return undefined;
  return { word: m[2], at: Number(m[3]) * 1000, detail: m[4].trim() };
}
