import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether `given` is the admin token, compared as digests so the comparison takes the same time whatever it is. */
export function isAdminToken(expected: string | undefined, given: string): boolean {
  return expected !== undefined && timingSafeEqual(digest(given), digest(expected));
}

const SESSION_HOURS = 12;

/**
 * A console session: `<expiry>.<HMAC of it keyed with the admin token>`. Any
 * instance with the same ADMIN_TOKEN can check it (nothing is stored), it
 * never contains the token, and changing the token ends every session.
 */
export function issueSession(adminToken: string, now = Date.now()): string {
  const expires = String(now + SESSION_HOURS * 3_600_000);
  return `${expires}.${createHmac('sha256', adminToken).update(`console-session:${expires}`).digest('base64url')}`;
}

export function isValidSession(adminToken: string | undefined, session: string | undefined, now = Date.now()): boolean {
  if (!adminToken || !session) return false;
  const [expires, mac] = session.split('.');
  if (!/^\d{13}$/.test(expires ?? '') || Number(expires) < now || !mac) return false;
  const expected = createHmac('sha256', adminToken).update(`console-session:${expires}`).digest();
  const given = Buffer.from(mac, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
