-- The outbox rule: a message told of a change is written by the transaction that makes the change.
--
-- p_messages: [{type, data}], in the order the changes were made (NULL or [] writes nothing). Writes
-- one notifications row per message and enabled endpoint subscribed to its type (events NULL: every
-- type), each with a message id of its own (the webhook-id of every attempt) and the exact body sent:
-- {"type", "timestamp", "data"}, the timestamp the database's now() in UTC. Returns how many rows were
-- written. With no enabled endpoint the cost is one EXISTS over notification_endpoints (a table of a
-- few rows: one page read), and callers pass NULL when they have nothing to tell.
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_notify(p_messages jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  written integer;
BEGIN
  IF p_messages IS NULL OR jsonb_array_length(p_messages) = 0
     OR NOT EXISTS (SELECT 1 FROM notification_endpoints WHERE status = 'enabled') THEN
    RETURN 0;
  END IF;
  INSERT INTO notifications (endpoint_id, message_id, event_type, body)
  SELECT e.id,
         'msg_' || replace(gen_random_uuid()::text, '-', ''),
         m.value->>'type',
         '{"type":' || to_json(m.value->>'type')::text
           || ',"timestamp":' || to_json(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
           || ',"data":' || coalesce(m.value->'data', '{}'::jsonb)::text || '}'
    FROM jsonb_array_elements(p_messages) WITH ORDINALITY AS m(value, n)
    JOIN notification_endpoints e
      ON e.status = 'enabled' AND (e.events IS NULL OR (m.value->>'type') = ANY(e.events))
   ORDER BY m.n, e.id;
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END
$$;
