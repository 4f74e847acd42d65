import type { CommandRun } from '../program';
import { OperationError } from '../errors';

export const run: CommandRun = async () => {
  throw new OperationError('`preflight` is not implemented yet');
};
