/**
 * The IPS rule rollout (SPEC §1.5): pick newly released rules, stage them in detect-only on the
 * sandbox policy, count their hits in exported events, and decide which stayed quiet. The
 * commands (lib/cli/commands/rules-*.ts) do the talking to the manager and the user.
 */
export * from './errors';
export * from './selection';
export * from './platforms';
export * from './state';
export * from './changes';
export * from './hits';
export * from './decide';
