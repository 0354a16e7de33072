/** @type {import('jest').Config} */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    // Nest's DI and class-validator read emitted design-time types.
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** How every tier loads the TypeScript sources: ESM, compiled by swc. */
export const typescriptEsm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
};

/**
 * The end-to-end tier: each file gets a scratch database of its own and
 * talks to the real service. `jest.faults.config.js` and
 * `jest.browser.config.js` build on it.
 */
export const e2e = {
  ...typescriptEsm,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
  setupFilesAfterEnv: ['<rootDir>/test/support/scratch-database.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

/**
 * `npm test`: both tiers in one run, so one JSON result (`--json
 * --outputFile`) counts every test. `testTimeout` is a global option: jest
 * ignores it inside a project.
 */
export default {
  testTimeout: 60_000,
  projects: [{ ...e2e, displayName: 'e2e' }, '<rootDir>/jest.unit.config.js'],
};
