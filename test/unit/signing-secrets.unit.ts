import { describe, expect, it } from '@jest/globals';
import { signingSecrets } from '../../src/notifications/signing-secrets.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

describe('signingSecrets: what a message is signed with now', () => {
  it.each([
    ['never rotated', null, null, ['whsec_new']],
    ['rotated, the previous one valid for another hour', 'whsec_old', at(3_600_000), ['whsec_new', 'whsec_old']],
    ['the previous one valid for one more millisecond', 'whsec_old', at(1), ['whsec_new', 'whsec_old']],
    ['the previous one expiring exactly now', 'whsec_old', NOW, ['whsec_new']],
    ['the previous one expired a second ago', 'whsec_old', at(-1_000), ['whsec_new']],
    ['its expiry as PostgreSQL text, still ahead', 'whsec_old', '2026-12-02 11:59:59.5+00', ['whsec_new', 'whsec_old']],
    ['its expiry as PostgreSQL text, past', 'whsec_old', '2026-12-01 11:00:00+00', ['whsec_new']],
    ['a previous secret without an expiry (never written so): not used', 'whsec_old', null, ['whsec_new']],
    ['an expiry without a previous secret', null, at(3_600_000), ['whsec_new']],
    ['an expiry that does not read as a time', 'whsec_old', 'soon', ['whsec_new']],
  ] as const)('%s', (_case, previous, until, expected) => {
    expect(signingSecrets({ secret: 'whsec_new', previous_secret: previous, previous_secret_until: until }, NOW)).toEqual(expected);
  });
});
