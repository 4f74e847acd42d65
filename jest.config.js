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
};
