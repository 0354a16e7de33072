-- The secrets a message to an endpoint is signed with now: the current one, then the previous one
-- while it has not expired (p_previous_secret_until strictly after the database's now(), the clock
-- that wrote it when the secret was rotated). A Standard Webhooks receiver accepts a message when any
-- one of the signatures in webhook-signature verifies, so a storefront still holding the old secret
-- keeps accepting messages until the previous one expires. The outbox sender asks this for every
-- message it claims (src/notifications/outbox-sender.ts).
CREATE FUNCTION shelfsync_signing_secrets(p_secret text, p_previous_secret text, p_previous_secret_until timestamptz)
RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT array_remove(ARRAY[p_secret, CASE WHEN p_previous_secret_until > now() THEN p_previous_secret END], NULL)
$$;
