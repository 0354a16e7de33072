import { e2e } from './jest.config.js';

/**
 * `npm run test:faults`: the suite that breaks things for real (kill -9,
 * terminated connections, several instances, floods) against the built
 * service in child processes. Kept apart from `npm test` for its length.
 */
export default {
  ...e2e,
  testMatch: ['**/faults/*.fault.ts'],
  testTimeout: 240_000,
};
