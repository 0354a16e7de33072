-- Where stock changes: the one statement that writes stock counters, and their ledger with them.
--
-- p_movements: [{sku, kind, on_hand_delta, reserved_delta, order_id?, webhook_event_id?, reason?}].
-- The movements of one SKU are added up and applied together, only where the result keeps
-- 0 <= reserved <= on_hand (the table's CHECK would refuse it anyway) and on_hand within its integer
-- column; each movement applied gets its own ledger row (stock_movements), in the order given. Returns
-- how many ledger rows were written: fewer than given means a SKU was refused, and the caller rolls
-- back. The caller has locked the rows (shelfsync_lock_stock).
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_apply_stock_movements(p_movements jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  written integer;
BEGIN
  WITH m AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(p_movements) AS (
             sku text, kind stock_movement_kind, on_hand_delta integer, reserved_delta integer,
             order_id text, webhook_event_id bigint, reason text))
           WITH ORDINALITY AS m(sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason, n)
  ), per_sku AS (
    -- in bigint, so that no sum can overflow before the guard refuses it
    SELECT sku, sum(on_hand_delta) AS on_hand_delta, sum(reserved_delta) AS reserved_delta FROM m GROUP BY sku
  ), changed AS (
    UPDATE stock s
       SET on_hand = s.on_hand + d.on_hand_delta,
           reserved = s.reserved + d.reserved_delta,
           updated_at = now()
      FROM per_sku d
     WHERE s.sku = d.sku
       -- also by an array, so the rows are found through the primary key whatever the statistics say
       AND s.sku = ANY(ARRAY(SELECT jsonb_array_elements(p_movements)->>'sku'))
       AND s.reserved::bigint + d.reserved_delta >= 0
       AND s.on_hand::bigint + d.on_hand_delta >= s.reserved::bigint + d.reserved_delta
       AND s.on_hand::bigint + d.on_hand_delta <= 2147483647
    RETURNING s.sku
  ), ledger AS (
    INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason)
    SELECT m.sku, m.kind, m.on_hand_delta, m.reserved_delta, m.order_id, m.webhook_event_id, m.reason
      FROM m JOIN changed USING (sku)
     ORDER BY m.n
    RETURNING 1
  )
  SELECT count(*)::integer INTO written FROM ledger;
  RETURN written;
END
$$;
