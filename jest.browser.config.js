import { e2e } from './jest.config.js';

/**
 * `npm run test:browser`: the console driven in headless Chromium (Debian's
 * `chromium` package, through playwright-core). Kept apart from `npm test`,
 * which must run on a machine with no browser.
 */
export default {
  ...e2e,
  testMatch: ['**/browser/*.browser.ts'],
  testTimeout: 60_000,
};
