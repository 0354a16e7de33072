-- Where an order's stock moves: the one place where a line's counters change, each with the ledger row
-- that names the line, in the same statement's transaction.
--
-- p_moves: [{order_source, order_id, line_no, kind, units (> 0), returned? (boolean), webhook_event_id?}]: units of
-- an order's line that move. p_unit_deltas: {kind: {on_hand, reserved}}, the ledger's rule for one unit
-- of each kind (src/inventory/stock-movement-kind.ts); this function never decides what a kind does to
-- stock. Locks the lines' stock rows in SKU order (shelfsync_lock_stock), writes the counters and one
-- ledger row per move (shelfsync_apply_stock_movements, line_no carried through), and, only when every
-- move applied, the line's rule:
--   reserved_quantity  moves with its units' reserved_delta (reserve +, release and commit -);
--   fulfilled_quantity + the units of a commit (shipped: they left on_hand);
--   returned_quantity  + the units of a restock (shipped units back on hand);
--   quantity           - the units of a release marked returned (units given up before they shipped: no
--                      longer ordered, as a gateway's own count of the line says afterwards, Shopify's
--                      current_quantity). So quantity - returned_quantity is what the customer keeps.
-- (A line holds reserved + fulfilled <= quantity and returned <= fulfilled.)
-- The line's CHECKs refuse any move past what it holds. Returns how many ledger rows were written (fewer
-- than the moves: the caller rolls back) and the refused SKUs as shelfsync_apply_stock_movements gives them.
CREATE FUNCTION shelfsync_move_order_lines(p_moves jsonb, p_unit_deltas jsonb)
RETURNS TABLE (written integer, refused jsonb) LANGUAGE plpgsql AS $$
DECLARE
  movements jsonb;
BEGIN
  -- The lines' SKUs, each read by its key. EXECUTE: planned at each call, from the table as it is now; a
  -- plan kept for the session from when order_lines was small joins by scanning it (50 ms a batch at 25,000
  -- lines, where the keyed reads take 1).
  EXECUTE $q$
    SELECT jsonb_agg(jsonb_build_object(
             'sku', l.sku, 'kind', m.kind,
             'on_hand_delta', m.units * ($2->m.kind->>'on_hand')::integer,
             'reserved_delta', m.units * ($2->m.kind->>'reserved')::integer,
             'order_source', m.order_source, 'order_id', m.order_id, 'line_no', m.line_no,
             'webhook_event_id', m.webhook_event_id) ORDER BY m.n)
      FROM ROWS FROM (jsonb_to_recordset($1) AS (
             order_source text, order_id text, line_no integer, kind text, units integer, returned boolean, webhook_event_id bigint))
           WITH ORDINALITY AS m(order_source, order_id, line_no, kind, units, returned, webhook_event_id, n)
           JOIN order_lines l ON l.order_source = m.order_source AND l.order_id = m.order_id AND l.line_no = m.line_no
  $q$ INTO movements USING p_moves, p_unit_deltas;
  IF movements IS NULL THEN
    written := 0;
    refused := '[]';
    RETURN NEXT;
    RETURN;
  END IF;
  IF jsonb_array_length(movements) <> jsonb_array_length(p_moves) OR movements @> '[{"sku": null}]' THEN
    RAISE EXCEPTION 'stock moves for order lines that do not exist or have no SKU: %', p_moves;
  END IF;

  PERFORM shelfsync_lock_stock(ARRAY(SELECT jsonb_array_elements(movements)->>'sku'));
  SELECT a.written, a.refused INTO written, refused FROM shelfsync_apply_stock_movements(movements) AS a;
  IF written <> jsonb_array_length(movements) THEN
    RETURN NEXT;
    RETURN;
  END IF;

  -- EXECUTE, as above: the lines by their keys, planned from the table as it is now.
  EXECUTE $q$
    UPDATE order_lines l
       SET reserved_quantity = l.reserved_quantity + d.reserved,
           fulfilled_quantity = l.fulfilled_quantity + d.fulfilled,
           returned_quantity = l.returned_quantity + d.returned,
           quantity = l.quantity - d.unordered
      FROM (SELECT m.order_source, m.order_id, m.line_no,
                   sum(m.units * ($2->m.kind->>'reserved')::integer) AS reserved,
                   sum(CASE WHEN m.kind = 'commit' THEN m.units ELSE 0 END) AS fulfilled,
                   sum(CASE WHEN m.kind = 'restock' THEN m.units ELSE 0 END) AS returned,
                   sum(CASE WHEN m.kind = 'release' AND coalesce(m.returned, false) THEN m.units ELSE 0 END) AS unordered
              FROM jsonb_to_recordset($1) AS m(order_source text, order_id text, line_no integer, kind text, units integer, returned boolean)
             GROUP BY m.order_source, m.order_id, m.line_no) AS d
     WHERE l.order_source = d.order_source AND l.order_id = d.order_id AND l.line_no = d.line_no
  $q$ USING p_moves, p_unit_deltas;
  RETURN NEXT;
END
$$;

-- An order's own stock moves, line by line, through shelfsync_move_order_lines.
--
-- p_kind release or commit: every line's reserved units (let go, or shipped); restock: every line's
-- shipped units not back yet (fulfilled - returned), marked returned. With p_returning [{sku, quantity}] (units that came
-- back, a partial refund): per SKU at most what its lines hold for the kind (reserved for release,
-- shipped and not back for restock), earlier lines first, marked returned. The caller holds the
-- order's lock. Returns the moves' outcome and the units moved per SKU, in the order of the lines.
CREATE FUNCTION shelfsync_move_order_stock(
  p_order_source text, p_order_id text, p_kind text, p_returning jsonb, p_webhook_event_id bigint, p_unit_deltas jsonb
) RETURNS TABLE (written integer, refused jsonb, moved jsonb) LANGUAGE plpgsql AS $$
DECLARE
  moves jsonb;
BEGIN
  WITH held AS (
    SELECT l.line_no, l.sku,
           CASE WHEN p_kind = 'restock' THEN l.fulfilled_quantity - l.returned_quantity
                ELSE l.reserved_quantity END AS units
      FROM order_lines l
     WHERE l.order_source = p_order_source AND l.order_id = p_order_id AND l.sku IS NOT NULL
  ), asked AS (
    SELECT a.sku, sum(a.quantity)::integer AS quantity
      FROM jsonb_to_recordset(coalesce(p_returning, '[]')) AS a(sku text, quantity integer) GROUP BY a.sku
  ), taken AS (
    SELECT h.line_no, h.sku,
           CASE WHEN p_returning IS NULL THEN h.units
                ELSE least(h.units, greatest(coalesce(a.quantity, 0)
                       - (sum(h.units) OVER (PARTITION BY h.sku ORDER BY h.line_no) - h.units), 0)) END AS units
      FROM held h LEFT JOIN asked a USING (sku)
  )
  SELECT jsonb_agg(jsonb_build_object(
           'order_source', p_order_source, 'order_id', p_order_id, 'line_no', t.line_no, 'kind', p_kind, 'units', t.units,
           'returned', p_returning IS NOT NULL OR p_kind = 'restock', 'webhook_event_id', p_webhook_event_id) ORDER BY t.line_no),
         (SELECT jsonb_agg(jsonb_build_object('sku', s.sku, 'quantity', s.units) ORDER BY s.first_line)
            FROM (SELECT x.sku, sum(x.units)::integer AS units, min(x.line_no) AS first_line FROM taken x WHERE x.units > 0 GROUP BY x.sku) AS s)
    INTO moves, moved
    FROM taken t WHERE t.units > 0;
  moved := coalesce(moved, '[]');
  SELECT m.written, m.refused INTO written, refused FROM shelfsync_move_order_lines(coalesce(moves, '[]'), p_unit_deltas) AS m;
  RETURN NEXT;
END
$$;
