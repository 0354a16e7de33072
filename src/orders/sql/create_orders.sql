-- Order creation, for one delivery or a batch of them (group commit), each as if it came alone in the
-- order given.
--
-- p_orders: [{order_id, customer_name, customer_email?, total_amount, currency, source,
-- webhook_event_id, snapshot_version? (a gateway's version of the order as created), lines: [{sku (null: a product without a SKU, which reserves nothing), quantity, unit_price?}]}],
-- in arrival order. Takes the orders' locks
-- (shelfsync_lock_orders). The first request of an order (its source and id) not seen before creates
-- the order; any other changes nothing. The new orders ask for their stock in arrival order (shelfsync_allocate_stock):
-- an order granted all of its units reserves them line by line (its lines written holding them, and one
-- ledger row per line with a SKU by shelfsync_apply_stock_movements, its deltas from p_unit_deltas
-- {kind: {on_hand, reserved}}: the ledger's rule,
-- src/inventory/stock-movement-kind.ts) and is created in p_status_when_reserved; one short of any is created in p_status_when_short
-- with p_reason_when_short and reserves nothing. The statuses come from the state machine
-- (src/orders/order-state-machine.ts); each creation is recorded by shelfsync_record_status_changes.
-- One row per request, in the order given: whether it created its order, and the order's status.
CREATE FUNCTION shelfsync_create_orders(
  p_orders jsonb, p_status_when_reserved order_status, p_status_when_short order_status, p_reason_when_short text,
  p_unit_deltas jsonb
) RETURNS TABLE (request integer, created boolean, status order_status) LANGUAGE plpgsql AS $$
DECLARE
  new_requests integer[];
  grants boolean[];
  shortages text[];
  movements jsonb;
  applied integer;
  short_order jsonb;
BEGIN
  PERFORM shelfsync_lock_orders(ARRAY(SELECT r->>'order_id' FROM jsonb_array_elements(p_orders) AS r));

  -- Everything that needs no stock row is done before the stock rows are locked, so that a hot SKU's row
  -- is held for as little of the transaction as can be: the orders (in the status of a reserved order)
  -- and their lines, and the reservations each would make (one per line with a SKU).
  -- The first request of each order creates it; an order that exists already is left alone (the
  -- orders' locks are held, so ON CONFLICT is exact). The statements here read no table by a join: a
  -- plan made while a table was small (kept for the session) must not turn into a scan of it.
  WITH firsts AS (
    SELECT DISTINCT ON (r.value->>'source', r.value->>'order_id') r.n::integer AS n, r.value AS o
      FROM jsonb_array_elements(p_orders) WITH ORDINALITY AS r(value, n)
     ORDER BY r.value->>'source', r.value->>'order_id', r.n
  ), inserted AS (
    INSERT INTO orders (source, order_id, status, customer_name, customer_email, total_amount, currency, snapshot_version)
    SELECT o->>'source', o->>'order_id', p_status_when_reserved,
           o->>'customer_name', o->>'customer_email', (o->>'total_amount')::numeric, o->>'currency',
           (o->>'snapshot_version')::timestamptz
      FROM firsts ORDER BY n
    ON CONFLICT (source, order_id) DO NOTHING
    RETURNING source, order_id
  )
  SELECT coalesce(array_agg(f.n ORDER BY f.n), '{}') INTO new_requests
    FROM firsts f JOIN inserted i ON i.source = f.o->>'source' AND i.order_id = f.o->>'order_id';

  -- Each new line is written holding what a granted order reserves (all its units, when it has a SKU): the
  -- reservation below moves the counters and writes the ledger rows that name these lines, and an order
  -- short of stock has its lines set back to nothing with its status. (The line's counters are
  -- move_order_lines.sql's everywhere else; writing each new line twice, inserted then updated, cost the
  -- creation 70% more database time per delivery.)
  INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, unit_price, reserved_quantity)
  SELECT f.o->>'source', f.o->>'order_id', l.n, l.value->>'sku', (l.value->>'quantity')::integer, (l.value->>'unit_price')::numeric,
         CASE WHEN l.value->>'sku' IS NULL THEN 0 ELSE (l.value->>'quantity')::integer END
    FROM (SELECT u.i, p_orders->(u.k - 1) AS o FROM unnest(new_requests) WITH ORDINALITY AS u(k, i)) AS f
         CROSS JOIN LATERAL jsonb_array_elements(f.o->'lines') WITH ORDINALITY AS l(value, n)
   ORDER BY f.i, l.n;

  SELECT jsonb_agg(jsonb_build_object(
           'request', u.i, 'sku', l.value->>'sku', 'kind', 'reserve',
           'on_hand_delta', (l.value->>'quantity')::integer * (p_unit_deltas->'reserve'->>'on_hand')::integer,
           'reserved_delta', (l.value->>'quantity')::integer * (p_unit_deltas->'reserve'->>'reserved')::integer,
           'order_source', fresh.o->>'source', 'order_id', fresh.o->>'order_id', 'line_no', l.n,
           'webhook_event_id', fresh.o->'webhook_event_id')
           ORDER BY u.i, l.n)
    INTO movements
    FROM unnest(new_requests) WITH ORDINALITY AS u(k, i)
         CROSS JOIN LATERAL (SELECT p_orders->(u.k - 1) AS o) AS fresh
         CROSS JOIN LATERAL jsonb_array_elements(fresh.o->'lines') WITH ORDINALITY AS l(value, n)
   WHERE l.value->>'sku' IS NOT NULL;

  -- Now the stock: locked, shared out, and the granted reservations made.
  SELECT coalesce(array_agg(a.granted ORDER BY a.request), '{}'), coalesce(array_agg(array_to_string(a.short_skus, ', ') ORDER BY a.request), '{}')
    INTO grants, shortages
    FROM shelfsync_allocate_stock(coalesce(
           (SELECT jsonb_agg(p_orders->(k - 1) ORDER BY i) FROM unnest(new_requests) WITH ORDINALITY AS u(k, i)), '[]')) AS a;
  SELECT jsonb_agg(m.value ORDER BY m.n) INTO movements
    FROM jsonb_array_elements(movements) WITH ORDINALITY AS m(value, n) WHERE grants[(m.value->>'request')::integer];
  IF movements IS NOT NULL THEN
    -- The rows are locked and were checked, so every guarded change applies; fewer is a broken invariant.
    SELECT a.written INTO applied FROM shelfsync_apply_stock_movements(movements) AS a;
    IF applied <> jsonb_array_length(movements) THEN
      RAISE EXCEPTION 'reserved % of % allocated order lines', applied, jsonb_array_length(movements);
    END IF;
  END IF;

  -- An order short of stock is created in the other status; nothing has seen it in the first yet. One
  -- statement per order, by its key: a set-based UPDATE would be planned as a join, and a plan kept from
  -- when the table was small scans all of it.
  FOREACH short_order IN ARRAY ARRAY(
    SELECT p_orders->(u.k - 1) FROM unnest(new_requests) WITH ORDINALITY AS u(k, i) WHERE NOT grants[u.i])
  LOOP
    UPDATE orders SET status = p_status_when_short, status_reason = p_reason_when_short
     WHERE source = short_order->>'source' AND order_id = short_order->>'order_id';
    UPDATE order_lines SET reserved_quantity = 0
     WHERE order_source = short_order->>'source' AND order_id = short_order->>'order_id' AND reserved_quantity > 0;
  END LOOP;

  PERFORM shelfsync_record_status_changes(coalesce((
    SELECT jsonb_agg(jsonb_build_object(
             'order_source', o->>'source', 'order_id', o->>'order_id',
             'to_status', CASE WHEN grants[u.i] THEN p_status_when_reserved ELSE p_status_when_short END,
             'reason', CASE WHEN grants[u.i] THEN NULL ELSE p_reason_when_short END,
             'history_reason', CASE WHEN grants[u.i] THEN NULL ELSE p_reason_when_short || ': ' || shortages[u.i] END,
             'webhook_event_id', o->'webhook_event_id') ORDER BY u.i)
      FROM unnest(new_requests) WITH ORDINALITY AS u(k, i) CROSS JOIN LATERAL (SELECT p_orders->(u.k - 1) AS o) AS fresh), '[]'));

  -- A created order's status is the one just given; any other request's order is looked up by its key.
  RETURN QUERY
    SELECT r.n::integer, c.i IS NOT NULL,
           CASE WHEN c.i IS NULL THEN (SELECT o.status FROM orders o WHERE o.source = r.value->>'source' AND o.order_id = r.value->>'order_id')
                WHEN grants[c.i] THEN p_status_when_reserved ELSE p_status_when_short END
      FROM jsonb_array_elements(p_orders) WITH ORDINALITY AS r(value, n)
           LEFT JOIN unnest(new_requests) WITH ORDINALITY AS c(k, i) ON c.k = r.n
     ORDER BY r.n;
END
$$;
