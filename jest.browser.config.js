import base from './jest.config.js';

/**
 * `npm run test:browser`: the console driven in headless Chromium (Debian's
 * `chromium` package, through playwright-core). Kept apart from `npm test`,
 * which must run on a machine with no browser.
 */
export default {
  ...base,
  testMatch: ['**/browser/*.browser.ts'],
};
