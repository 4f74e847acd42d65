/**
 * How often each staged rule fired, from exported event files: IPS events whose signature id is
 * the rule's identifier (SPEC §5: IPS signature ids are the rule identifiers, 1000000-1999999),
 * counted from the moment the rule was staged. Also how far the files reach in time, so a quiet
 * verdict is never drawn from an export that stops before the quiet window ends.
 */
import { exportedLine } from '../events/exported';
import { parseEventLine } from '../events/parse';
import { readLines, type ReadProgress } from '../events/read-lines';

/** One staged rule to count hits for. */
export interface HitQuery {
  readonly key: string;
  readonly identifier: string;
  /** Only events at or after this time count (ms since epoch). */
  readonly sinceMs: number;
}

export interface RuleHits {
  /** Events at or after staging, plus events with no readable time (they may be after it). */
  hits: number;
  /** Of `hits`, how many had no readable time. */
  untimed: number;
  /** Events of the rule from before staging: not held against it (another policy may run it). */
  before: number;
  lastHitMs: number | null;
  /** Up to a few hosts it fired on, for the report. */
  readonly hosts: Set<string>;
}

export interface HitSummary {
  readonly byKey: Map<string, RuleHits>;
  readonly lines: number;
  readonly events: number;
  /** The newest event time in the files (any module): how far the export reaches. */
  readonly newestEventMs: number | null;
}

export { EventFileError, type ReadProgress as CountProgress } from '../events/read-lines';

const MAX_HOSTS = 5;

/**
 * The signature id field of a CEF or LEEF header, found without parsing the whole line: most
 * lines are other rules' or modules' events, and only a staged rule's lines need the full parse.
 */
const SIGNATURE_FIELD = /(?:CEF:\d+|LEEF:[12]\.0)\|(?:[^|\\]|\\.)*\|(?:[^|\\]|\\.)*\|(?:[^|\\]|\\.)*\|([^|]*)\|/;

/** Counts hits line by line; `lines` may come from any source (tests feed arrays). */
export class HitCounter {
  private readonly byIdentifier = new Map<number, { query: HitQuery; hits: RuleHits }[]>();
  private readonly byKey = new Map<string, RuleHits>();
  private lines = 0;
  private events = 0;
  private newestEventMs: number | null = null;

  constructor(
    queries: readonly HitQuery[],
    private readonly now: Date = new Date(),
  ) {
    for (const query of queries) {
      const hits: RuleHits = { hits: 0, untimed: 0, before: 0, lastHitMs: null, hosts: new Set() };
      this.byKey.set(query.key, hits);
      const sig = Number(query.identifier);
      this.byIdentifier.set(sig, [...(this.byIdentifier.get(sig) ?? []), { query, hits }]);
    }
  }

  add(text: string): void {
    if (text === '') return;
    this.lines += 1;
    const { line, eventTime } = exportedLine(text, this.now);
    const signature = SIGNATURE_FIELD.exec(line);
    if (!signature) return;
    this.events += 1;
    const t = eventTime?.getTime() ?? null;
    if (t !== null && (this.newestEventMs === null || t > this.newestEventMs)) this.newestEventMs = t;
    const watching = this.byIdentifier.get(Number(signature[1].trim()));
    if (!watching) return;
    // The full parse decides: the manager's own events reuse ids, and the header may be escaped.
    const event = parseEventLine(line);
    if (!event || event.module !== 'intrusion-prevention' || event.signatureId === null) return;
    for (const { query, hits } of this.byIdentifier.get(event.signatureId) ?? []) {
      if (t !== null && t < query.sinceMs) {
        hits.before += 1;
        continue;
      }
      hits.hits += 1;
      if (t === null) hits.untimed += 1;
      else if (hits.lastHitMs === null || t > hits.lastHitMs) hits.lastHitMs = t;
      if (event.host && hits.hosts.size < MAX_HOSTS) hits.hosts.add(event.host);
    }
  }

  summary(): HitSummary {
    return { byKey: this.byKey, lines: this.lines, events: this.events, newestEventMs: this.newestEventMs };
  }
}

/** Reads every file (plain or gzip, detected by content) into the counter. */
export async function countHitsInFiles(
  files: readonly string[],
  counter: HitCounter,
  onProgress?: (p: ReadProgress) => void,
): Promise<HitSummary> {
  await readLines(files, (text) => counter.add(text), { onProgress });
  return counter.summary();
}
