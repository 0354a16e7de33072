-- Where stock changes: the one statement that writes stock counters, and their ledger with them.
--
-- p_movements: [{sku, kind, on_hand_delta, reserved_delta, order_source?, order_id?, line_no?, webhook_event_id?, reason?}], the
-- deltas as the caller's ledger rule gives them (src/inventory/stock-movement-kind.ts: this function
-- never decides what a kind moves). The movements of one SKU are added up and applied together, only
-- where the result keeps 0 <= reserved <= on_hand (the table's CHECK would refuse it anyway) and
-- on_hand within its integer column; each movement applied gets its own ledger row (stock_movements),
-- in the order given. Returns how many ledger rows were written (fewer than given means a SKU was
-- refused, and the caller rolls back), and the refused SKUs, in SKU order, each with the guard's one
-- reason: [{sku, refusal, on_hand, reserved, on_hand_delta, reserved_delta}] (the counters before;
-- null without a stock row), refusal one of no_stock_row, reserved_below_zero,
-- on_hand_below_reserved, on_hand_past_limit. The caller has locked the rows (shelfsync_lock_stock).
-- A SKU whose low_stock (the stock table's generated column, the one definition of "low") turns true
-- is told to the storefront in the same transaction: one stock.low message {sku, on_hand, reserved,
-- available, low_stock_threshold} per crossing (shelfsync_notify), none while it stays low, another
-- once it has gone back above and falls again. Every change of the counters comes through here
-- (orders, returns, PUT /inventory and adjustments); a change of the threshold alone is not a fall of
-- the available units and tells nothing.
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_apply_stock_movements(p_movements jsonb)
RETURNS TABLE (written integer, refused jsonb) LANGUAGE plpgsql AS $$
DECLARE
  crossings jsonb;
BEGIN
  WITH m AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(p_movements) AS (
             sku text, kind stock_movement_kind, on_hand_delta integer, reserved_delta integer,
             order_source text, order_id text, line_no integer, webhook_event_id bigint, reason text))
           WITH ORDINALITY AS m(sku, kind, on_hand_delta, reserved_delta, order_source, order_id, line_no, webhook_event_id, reason, n)
  ), per_sku AS (
    -- in bigint, so that no sum can overflow before the guard refuses it
    SELECT sku, sum(on_hand_delta) AS on_hand_delta, sum(reserved_delta) AS reserved_delta FROM m GROUP BY sku
  ), guarded AS (
    -- The guard: each SKU's counters before (the statement's snapshot), and why its change is refused, if it is.
    SELECT d.sku, d.on_hand_delta, d.reserved_delta, s.on_hand, s.reserved, s.low_stock AS low_before,
           CASE WHEN s.sku IS NULL THEN 'no_stock_row'
                WHEN s.reserved::bigint + d.reserved_delta < 0 THEN 'reserved_below_zero'
                WHEN s.on_hand::bigint + d.on_hand_delta < s.reserved::bigint + d.reserved_delta THEN 'on_hand_below_reserved'
                WHEN s.on_hand::bigint + d.on_hand_delta > 2147483647 THEN 'on_hand_past_limit' END AS refusal
      FROM per_sku d
           LEFT JOIN stock s
                  ON s.sku = d.sku
                     -- also by an array, so the rows are found through the primary key whatever the statistics say
                     AND s.sku = ANY(ARRAY(SELECT jsonb_array_elements(p_movements)->>'sku'))
  ), changed AS (
    UPDATE stock s
       SET on_hand = s.on_hand + d.on_hand_delta,
           reserved = s.reserved + d.reserved_delta,
           updated_at = now()
      FROM guarded d
     -- by the key alone: with the array of every SKU here too, each guarded row scanned the whole array's
     -- rows (40 SKUs: 2,452 buffer hits instead of 120)
     WHERE s.sku = d.sku
       AND d.refusal IS NULL
    RETURNING s.sku, s.on_hand, s.reserved, s.available, s.low_stock_threshold, s.low_stock, d.low_before
  ), ledger AS (
    INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_source, order_id, line_no, webhook_event_id, reason)
    SELECT m.sku, m.kind, m.on_hand_delta, m.reserved_delta, m.order_source, m.order_id, m.line_no, m.webhook_event_id, m.reason
      FROM m JOIN changed USING (sku)
     ORDER BY m.n
    RETURNING 1
  )
  SELECT (SELECT count(*)::integer FROM ledger),
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'sku', g.sku, 'refusal', g.refusal, 'on_hand', g.on_hand, 'reserved', g.reserved,
                   'on_hand_delta', g.on_hand_delta, 'reserved_delta', g.reserved_delta) ORDER BY g.sku COLLATE "C"), '[]')
            FROM guarded AS g WHERE g.refusal IS NOT NULL),
         (SELECT jsonb_agg(jsonb_build_object('type', 'stock.low', 'data', jsonb_build_object(
                   'sku', x.sku, 'on_hand', x.on_hand, 'reserved', x.reserved, 'available', x.available,
                   'low_stock_threshold', x.low_stock_threshold)) ORDER BY x.sku COLLATE "C")
            FROM changed AS x
           WHERE x.low_stock AND NOT x.low_before)
    INTO written, refused, crossings;
  PERFORM shelfsync_notify(crossings);
  RETURN NEXT;
END
$$;
