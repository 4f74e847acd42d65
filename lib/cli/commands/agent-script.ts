import type { CommandRun } from '../program';
import { OperationError } from '../errors';

export const run: CommandRun = async () => {
  throw new OperationError('`agent-script` is not implemented yet');
};
