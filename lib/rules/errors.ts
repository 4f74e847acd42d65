/** A rollout input the user got wrong (a flag value); the CLI turns it into exit 2. */
export class RolloutInputError extends Error {
  override name = 'RolloutInputError';
}
