import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hot path of new_order as database functions, so that a batch of
 * deliveries (group commit) costs a handful of round trips instead of one per
 * step: under load every round trip waits for a turn of the service's busy
 * event loop, and the stock rows stay locked meanwhile. The callers are
 * WebhookEventStore.claimMany, StockRepository.applyMovements and
 * OrdersRepository.createOrders, which document the rules; each rule lives
 * here once.
 */
export class HotPathFunctions1764200000000 implements MigrationInterface {
  name = 'HotPathFunctions1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // Counter changes and their ledger rows in one statement; returns the ledger rows written.
    await q.query(`
      CREATE FUNCTION shelfsync_apply_movements(
        p_sku text[], p_kind text[], p_on_hand_delta int[], p_reserved_delta int[],
        p_order_id text[], p_webhook_event_id bigint[], p_reason text[]
      ) RETURNS integer LANGUAGE sql AS $fn$
        WITH m AS (
          SELECT * FROM unnest(p_sku, p_kind, p_on_hand_delta, p_reserved_delta, p_order_id, p_webhook_event_id, p_reason)
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
             -- also by the array, so the rows are found through the primary key whatever the statistics say
             AND s.sku = ANY(p_sku)
             AND s.reserved::bigint + d.reserved_delta >= 0
             AND s.on_hand::bigint + d.on_hand_delta >= s.reserved::bigint + d.reserved_delta
             AND s.on_hand::bigint + d.on_hand_delta <= 2147483647
          RETURNING s.sku
        ), written AS (
          INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason)
          SELECT m.sku, m.kind, m.on_hand_delta, m.reserved_delta, m.order_id, m.webhook_event_id, m.reason
            FROM m JOIN changed USING (sku)
           ORDER BY m.n
          RETURNING 1
        )
        SELECT count(*)::int FROM written
      $fn$`);

    // Claims deliveries as if one after another; returns each one's record id, NULL for a duplicate.
    await q.query(`
      CREATE FUNCTION shelfsync_claim_events(
        p_source text[], p_event_id text[], p_event_type text[], p_order_id text[],
        p_headers jsonb[], p_raw_body bytea[], p_id_is_signed boolean[]
      ) RETURNS bigint[] LANGUAGE plpgsql AS $fn$
      DECLARE
        claimed bigint[] := array_fill(NULL::bigint, ARRAY[cardinality(p_source)]);
        record_ids bigint[];
        positions bigint[];
      BEGIN
        WITH e AS (
          SELECT * FROM unnest(p_source, p_event_id, p_event_type, p_order_id, p_headers, p_raw_body, p_id_is_signed)
                   WITH ORDINALITY AS e(source, event_id, event_type, order_id, headers, raw_body, id_is_signed, n)
        ), inserted AS (
          INSERT INTO webhook_events AS w (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, processed_at)
          SELECT e.source, e.event_id, e.event_type, e.order_id, 'processed', e.headers, e.raw_body,
                 CASE WHEN e.id_is_signed THEN NULL ELSE sha256(e.raw_body) END, now()
            -- in arrival order, so each delivery meets exactly the keys (event id, body digest) that the earlier
            -- ones took, as one by one; two batches claiming the same new keys in opposite orders deadlock,
            -- and the transaction is retried (TransactionRunner)
            FROM e ORDER BY e.n
          ON CONFLICT DO NOTHING
          RETURNING w.id, w.source, w.event_id, w.raw_body
        ), firsts AS (
          -- of identical deliveries, the first is the one inserted
          SELECT DISTINCT ON (i.id) i.id, e.n
            FROM inserted i JOIN e ON e.source = i.source AND e.event_id = i.event_id AND e.raw_body = i.raw_body
           ORDER BY i.id, e.n
        )
        SELECT array_agg(id), array_agg(n) INTO record_ids, positions FROM firsts;
        FOR k IN 1..coalesce(cardinality(positions), 0) LOOP
          claimed[positions[k]] := record_ids[k];
        END LOOP;
        IF array_position(claimed, NULL) IS NULL THEN
          RETURN claimed;
        END IF;

        -- Seen before (a new statement, so it sees what committed meanwhile): a delivery whose last attempt
        -- failed is taken up again by the first of these that names it.
        WITH e AS (
          SELECT * FROM unnest(p_source, p_event_id, p_event_type, p_order_id, p_headers, p_raw_body, p_id_is_signed)
                   WITH ORDINALITY AS e(source, event_id, event_type, order_id, headers, raw_body, id_is_signed, n)
        ), target AS (
          SELECT DISTINCT ON (w.id) w.id AS record_id, e.* FROM e JOIN webhook_events w
              ON w.source = e.source AND (w.event_id = e.event_id OR (NOT e.id_is_signed AND w.body_sha256 = sha256(e.raw_body)))
           WHERE w.status = 'failed' AND claimed[e.n] IS NULL
           ORDER BY w.id, e.n
        ), retried AS (
          UPDATE webhook_events w
             SET attempts = w.attempts + 1, status = 'processed', reason = NULL, last_error = NULL, processed_at = now(),
                 -- what is applied now is this delivery, so the record shows (and a replay uses) its bytes
                 event_type = t.event_type, order_id = t.order_id, headers = t.headers, raw_body = t.raw_body,
                 body_sha256 = CASE WHEN t.id_is_signed THEN NULL ELSE sha256(t.raw_body) END
            FROM target t
           WHERE w.id = t.record_id
             -- checked again on the row itself: a concurrent retry or replay that took it first wins
             AND w.status = 'failed'
          RETURNING w.id, t.n
        )
        SELECT array_agg(id), array_agg(n) INTO record_ids, positions FROM retried;
        FOR k IN 1..coalesce(cardinality(positions), 0) LOOP
          claimed[positions[k]] := coalesce(claimed[positions[k]], record_ids[k]);
        END LOOP;
        RETURN claimed;
      END
      $fn$`);

    // Creates orders from claimed new_order events, each as if alone, in the order given.
    await q.query(`
      CREATE FUNCTION shelfsync_create_orders(
        p_order_id text[], p_customer_name text[], p_customer_email text[], p_total_amount numeric[],
        p_currency text[], p_source text[], p_webhook_event_id bigint[],
        p_line_request int[], p_line_sku text[], p_line_quantity int[], p_line_unit_price numeric[]
      ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
      DECLARE
        total int := cardinality(p_order_id);
        created text[];
        -- the new orders that deferred events wait for
        waiting text[];
        -- per request: created by it, its status, and the reason kept in its history
        is_new boolean[] := array_fill(false, ARRAY[total]);
        new_status text[] := array_fill(NULL::text, ARRAY[total]);
        history_reason text[] := array_fill(NULL::text, ARRAY[total]);
        skus text[];
        available int[];
        short text[];
        pos int;
        applied int;
        mv_sku text[] := '{}';
        mv_quantity int[] := '{}';
        mv_order text[] := '{}';
        mv_event bigint[] := '{}';
        w record;
      BEGIN
        -- Every event of an order takes its lock first; several are taken in one fixed order.
        PERFORM pg_advisory_xact_lock(key)
           FROM (SELECT DISTINCT hashtextextended('order:' || id, 0) AS key FROM unnest(p_order_id) AS id ORDER BY key) AS keys;

        -- The first request of each order id creates it, with its lines; an id that exists is skipped.
        WITH req AS (
          SELECT * FROM unnest(p_order_id, p_customer_name, p_customer_email, p_total_amount, p_currency, p_source)
                   WITH ORDINALITY AS r(order_id, customer_name, customer_email, total_amount, currency, source, n)
        ), firsts AS (
          SELECT DISTINCT ON (order_id) * FROM req ORDER BY order_id, n
        ), o AS (
          INSERT INTO orders (order_id, status, customer_name, customer_email, total_amount, currency, source)
          SELECT order_id, 'pending', customer_name, customer_email, total_amount, currency, source FROM firsts ORDER BY n
          ON CONFLICT (order_id) DO NOTHING
          RETURNING order_id
        ), l AS (
          INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price)
          SELECT f.order_id, row_number() OVER (PARTITION BY l.request ORDER BY l.k), l.sku, l.quantity, l.unit_price
            FROM unnest(p_line_request, p_line_sku, p_line_quantity, p_line_unit_price) WITH ORDINALITY AS l(request, sku, quantity, unit_price, k)
            JOIN firsts f ON f.n = l.request
            JOIN o ON o.order_id = f.order_id
        )
        SELECT coalesce(array_agg(order_id), '{}') INTO created FROM o;
        FOR i IN 1..total LOOP
          is_new[i] := p_order_id[i] = ANY(created) AND array_position(p_order_id, p_order_id[i]) = i;
        END LOOP;
        -- Events waiting for a new order (a cancellation, say) run after this function, and could free stock
        -- that a later order of the batch needed: such a batch must go one by one. (It is rare: an event
        -- arrived before its order.) A batch of one needs nothing of the kind.
        waiting := ARRAY(SELECT DISTINCT e.order_id FROM webhook_events e WHERE e.order_id = ANY(created) AND e.status = 'deferred');
        IF total > 1 AND cardinality(waiting) > 0 THEN
          RAISE EXCEPTION 'deferred events wait for orders of this batch; it must be applied one by one'
            USING ERRCODE = 'SS001';
        END IF;

        -- The stock rows of the new orders, locked in SKU order, then shared out in arrival order:
        -- each order takes all of its units, or none and is rejected.
        SELECT coalesce(array_agg(sku ORDER BY sku COLLATE "C"), '{}'), coalesce(array_agg(on_hand - reserved ORDER BY sku COLLATE "C"), '{}')
          INTO skus, available
          FROM (SELECT s.sku, s.on_hand, s.reserved FROM stock s
                 WHERE s.sku = ANY(ARRAY(SELECT l.sku FROM unnest(p_line_request, p_line_sku) AS l(request, sku) WHERE is_new[l.request]))
                 ORDER BY s.sku COLLATE "C" FOR UPDATE) AS locked;
        FOR i IN 1..total LOOP
          CONTINUE WHEN NOT is_new[i];
          short := '{}';
          FOR w IN SELECT l.sku, sum(l.quantity)::int AS quantity
                     FROM unnest(p_line_request, p_line_sku, p_line_quantity) AS l(request, sku, quantity)
                    WHERE l.request = i GROUP BY l.sku ORDER BY l.sku COLLATE "C" LOOP
            pos := array_position(skus, w.sku);
            IF pos IS NULL OR available[pos] < w.quantity THEN short := short || w.sku; END IF;
          END LOOP;
          IF cardinality(short) > 0 THEN
            new_status[i] := 'rejected';
            history_reason[i] := 'insufficient_stock: ' || array_to_string(short, ', ');
            CONTINUE;
          END IF;
          new_status[i] := 'pending';
          FOR w IN SELECT l.sku, sum(l.quantity)::int AS quantity
                     FROM unnest(p_line_request, p_line_sku, p_line_quantity) AS l(request, sku, quantity)
                    WHERE l.request = i GROUP BY l.sku ORDER BY l.sku COLLATE "C" LOOP
            pos := array_position(skus, w.sku);
            available[pos] := available[pos] - w.quantity;
            mv_sku := mv_sku || w.sku;
            mv_quantity := mv_quantity || w.quantity;
            mv_order := mv_order || p_order_id[i];
            mv_event := mv_event || p_webhook_event_id[i];
          END LOOP;
        END LOOP;

        IF cardinality(mv_sku) > 0 THEN
          -- The rows are locked and were checked, so every guarded change applies; fewer is a broken invariant.
          applied := shelfsync_apply_movements(
            mv_sku, array_fill('reserve'::text, ARRAY[cardinality(mv_sku)]), array_fill(0, ARRAY[cardinality(mv_sku)]),
            mv_quantity, mv_order, mv_event, array_fill(NULL::text, ARRAY[cardinality(mv_sku)]));
          IF applied <> cardinality(mv_sku) THEN
            RAISE EXCEPTION 'reserved % of % checked order lines', applied, cardinality(mv_sku);
          END IF;
        END IF;

        UPDATE orders SET status = 'rejected', status_reason = 'insufficient_stock', updated_at = now()
         WHERE order_id IN (SELECT p_order_id[i] FROM generate_series(1, total) AS i WHERE new_status[i] = 'rejected');
        INSERT INTO order_status_history (order_id, from_status, to_status, reason, webhook_event_id)
        SELECT p_order_id[i], NULL, new_status[i], history_reason[i], p_webhook_event_id[i]
          FROM generate_series(1, total) AS i WHERE is_new[i] ORDER BY i;

        -- Per request: whether it created its order, the order's status, and whether events wait for it.
        RETURN (
          SELECT jsonb_agg(jsonb_build_object(
                   'created', is_new[i],
                   'status', CASE WHEN is_new[i] THEN new_status[i] ELSE (SELECT o.status FROM orders o WHERE o.order_id = p_order_id[i]) END,
                   'waiting', is_new[i] AND p_order_id[i] = ANY(waiting))
                 ORDER BY i)
            FROM generate_series(1, total) AS i);
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION shelfsync_create_orders(text[], text[], text[], numeric[], text[], text[], bigint[], int[], text[], int[], numeric[])`);
    await q.query(`DROP FUNCTION shelfsync_claim_events(text[], text[], text[], text[], jsonb[], bytea[], boolean[])`);
    await q.query(`DROP FUNCTION shelfsync_apply_movements(text[], text[], int[], int[], text[], bigint[], text[])`);
  }
}
