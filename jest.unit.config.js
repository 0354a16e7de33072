import { typescriptEsm } from './jest.config.js';

/**
 * `npm run test:unit`: the rules as tables, with no database and no Nest
 * application, in seconds. `npm test` runs it too, as its `unit` project.
 */
export default {
  ...typescriptEsm,
  displayName: 'unit',
  roots: ['<rootDir>/test/unit'],
  testMatch: ['**/*.unit.ts'],
};
