/** Exit codes of SPEC §6. */
export const EXIT_OK = 0;
/** The operation found a problem (a check failed, leftovers remain, the manager said no). */
export const EXIT_PROBLEM = 1;
/** Bad usage or bad config. */
export const EXIT_USAGE = 2;

/** Bad usage: wrong flag combination, unknown VM name. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The operation ran and found a problem. Exit 1. The message says what to do next. */
export class OperationError extends Error {
  override name = 'OperationError';
}
