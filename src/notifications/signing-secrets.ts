/** The secrets columns of a notification_endpoints row. */
export interface EndpointSecrets {
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | string | null;
}

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_HOURS = 24;

/**
 * The secrets a message to this endpoint is signed with at `now`: the current
 * one, then the previous one while it has not expired (`previous_secret_until`
 * strictly after `now`). A Standard Webhooks receiver accepts a message when
 * any one of the signatures in `webhook-signature` verifies, so a storefront
 * still holding the old secret keeps accepting messages for 24 h after a
 * rotation. Pass the database's clock as `now` (`SELECT now()`), the clock that
 * wrote `previous_secret_until`.
 */
export function signingSecrets(endpoint: EndpointSecrets, now: Date): string[] {
  const secrets = [endpoint.secret];
  if (endpoint.previous_secret && endpoint.previous_secret_until !== null) {
    const until = new Date(endpoint.previous_secret_until).getTime();
    if (Number.isFinite(until) && until > now.getTime()) secrets.push(endpoint.previous_secret);
  }
  return secrets;
}
