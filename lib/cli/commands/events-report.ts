import type { CommandRun } from '../program';
import { OperationError } from '../errors';

export const run: CommandRun = async () => {
  throw new OperationError('`events report` is not implemented yet');
};
