-- A status change and its history row, always together.
--
-- p_changes: [{order_source, order_id, from_status, to_status, reason?, history_reason?, webhook_event_id?}],
-- one per order. Moves each order from from_status to to_status only if it is still in from_status
-- (compare-and-set; status_reason becomes reason), and writes a history row for each order that
-- moved, naming the delivery that caused it. A change without from_status is the creation of the
-- order, just inserted in to_status: only its history row is written. history_reason, when given, is
-- what the history keeps instead of reason. Returns the order ids that moved or were created.
-- Each change recorded is told to the storefront in the same transaction: an order.status_changed
-- message {source, order_id, from_status, to_status, reason} (from_status null for a creation; reason the
-- order's status_reason, not the history's longer text), in the order of the changes (shelfsync_notify).
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_record_status_changes(p_changes jsonb) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  recorded text[];
  messages jsonb;
BEGIN
  WITH c AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(p_changes) AS (
             order_source text, order_id text, from_status order_status, to_status order_status,
             reason text, history_reason text, webhook_event_id bigint))
           WITH ORDINALITY AS c(order_source, order_id, from_status, to_status, reason, history_reason, webhook_event_id, n)
  ), moved AS (
    UPDATE orders o
       SET status = c.to_status, status_reason = c.reason, updated_at = now()
      FROM c
     -- the rows by their key (an index scan, whatever the statistics say), then matched to their change
     WHERE o.source = ANY(ARRAY(SELECT order_source FROM c WHERE from_status IS NOT NULL))
       AND o.order_id = ANY(ARRAY(SELECT order_id FROM c WHERE from_status IS NOT NULL))
       AND o.source = c.order_source AND o.order_id = c.order_id AND c.from_status IS NOT NULL AND o.status = c.from_status
    RETURNING o.source, o.order_id
  ), history AS (
    INSERT INTO order_status_history (order_source, order_id, from_status, to_status, reason, webhook_event_id)
    SELECT c.order_source, c.order_id, c.from_status, c.to_status, coalesce(c.history_reason, c.reason), c.webhook_event_id
      FROM c
     WHERE c.from_status IS NULL OR (c.order_source, c.order_id) IN (SELECT source, order_id FROM moved)
     ORDER BY c.n
    RETURNING order_status_history.order_source, order_status_history.order_id
  )
  SELECT array_agg(h.order_id ORDER BY c.n),
         jsonb_agg(jsonb_build_object('type', 'order.status_changed', 'data', jsonb_build_object(
           'source', c.order_source, 'order_id', c.order_id, 'from_status', c.from_status, 'to_status', c.to_status,
           'reason', c.reason)) ORDER BY c.n)
    INTO recorded, messages
    FROM history AS h JOIN c ON c.order_source = h.order_source AND c.order_id = h.order_id;
  PERFORM shelfsync_notify(messages);
  RETURN QUERY SELECT unnest(coalesce(recorded, '{}'));
END
$$;
