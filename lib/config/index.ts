export * from './schema';
export * from './load';
export * from './names';
export * from './manager-endpoints';
export * from './placeholders';
export * from './warnings';
export * from './installers';
