/**
 * Creates that never make duplicates (issue 11 item 5). A POST that creates something is not
 * safe to repeat: when the manager committed it but the answer was lost (a 5xx from a proxy, a
 * dropped connection, a timeout), a blind retry creates a second one — an orphan no record points
 * at, which teardown never deletes and which makes the next lookup by name ambiguous.
 *
 * So the client never retries a create (RequestOptions.create), and `createOnce` does what a
 * careful person would: after a failure that may have committed, look the object up by its
 * unique name; one found is the create's own result and is adopted; none found means it did not
 * commit, and only then is the create tried again (a bounded number of times). Callers record
 * what exists right away, whichever way it came to exist.
 */
import { ManagerApiError, ManagerConflictError, isAmbiguousFailure } from './errors';

export interface CreateOnceOptions<T> {
  /** For messages: `policy "ds-eval-policy"`. */
  readonly what: string;
  readonly create: () => Promise<T>;
  /** The objects that exist under the unique name now. */
  readonly find: () => Promise<T[]>;
  /** Creates tried in all. @default 3 */
  readonly attempts?: number;
  /** Told after a failure that may have committed, before the lookup. */
  readonly onUncertain?: (err: Error, attempt: number) => void;
}

export interface CreateOutcome<T> {
  readonly object: T;
  /** `adopted`: the create failed ambiguously (or raced another creator) and the lookup found it. */
  readonly how: 'created' | 'adopted';
}

/** A refusal that may mean "it exists already" (a concurrent creator): worth a lookup too. */
function mayAlreadyExist(err: unknown): boolean {
  return err instanceof ManagerApiError && (err.status === 400 || err.status === 409);
}

export async function createOnce<T>(opts: CreateOnceOptions<T>): Promise<CreateOutcome<T>> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return { object: await opts.create(), how: 'created' };
    } catch (err) {
      const uncertain = isAmbiguousFailure(err);
      if (!uncertain && !mayAlreadyExist(err)) throw err;
      if (uncertain) opts.onUncertain?.(err as Error, attempt);
      const found = await opts.find();
      if (found.length === 1) return { object: found[0], how: 'adopted' };
      if (found.length > 1) {
        throw new ManagerConflictError(
          `${opts.what}: the create failed (${(err as Error).message}) and ${found.length} now exist; keep one and delete the others in the console, then run again`,
        );
      }
      if (!uncertain || attempt >= attempts) throw err;
    }
  }
}
