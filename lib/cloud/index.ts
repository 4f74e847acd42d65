export * from './destroy';
export * from './leftovers';
