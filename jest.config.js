/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // dt-sql-parser (Trino's grammar, for the Athena SQL test) and its antlr4-c3 ship ES modules only.
    '/node_modules/(dt-sql-parser|antlr4-c3)/.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(dt-sql-parser|antlr4-c3)/)'],
  // Synth tests load aws-cdk-lib / cdktf; give them room on a 2-core CI machine.
  testTimeout: 120000,
  maxWorkers: 2,
  // One temp directory per run, removed at its end (no cdk.out* left in /tmp), and cdk.json's
  // feature flags for every App the tests create: test/setup/.
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  setupFiles: ['<rootDir>/test/setup/cdk-context.ts'],
};
