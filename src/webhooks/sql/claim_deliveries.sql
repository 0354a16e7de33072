-- The claim: the event log decides which deliveries are new, which are duplicates, and which retry a
-- failed one, as if they arrived one after another in the order given.
--
-- p_deliveries: [{source, event_id, event_type, order_id?, headers, id_is_signed, bytes_per_type}],
-- p_raw_bodies: their bytes, in the same order. Each delivery is recorded in p_status (with p_error,
-- and processed_at when p_settled) unless the event log has it already: its event id on its source,
-- or (where the id is not signed, so anyone could resend captured bytes under a new id) its very bytes
-- (shelfsync_delivery_digest: under any event type, or only under its own with bytes_per_type). A delivery
-- seen before whose record is `failed` is taken up again by the first of these that names it: one
-- more attempt, with this delivery's bytes. The others are duplicates. A concurrent claim of the same
-- event waits on the unique keys until the first commits.
--
-- Then each claimed delivery takes its order's lock (shelfsync_lock_orders) and learns whether
-- deliveries wait for that order (shelfsync_deferred_events): looked up under the lock, no event of
-- the order can be deferred meanwhile.
--
-- One row per delivery, in the order given: its record id (null for a duplicate), and whether
-- deferred deliveries wait for its order.
-- The key by which identical bytes are one event on a source: their digest, or (p_event_type given:
-- a provider whose event types are harmless on each other's bytes, and which sends one order's
-- created and updated alike) the digest of the event type and the bytes.
CREATE FUNCTION shelfsync_delivery_digest(p_event_type text, p_raw_body bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_event_type IS NULL THEN sha256(p_raw_body)
              ELSE sha256(convert_to(p_event_type, 'UTF8') || '\x0a'::bytea || p_raw_body) END
$$;

CREATE FUNCTION shelfsync_claim_deliveries(
  p_deliveries jsonb, p_raw_bodies bytea[], p_status delivery_status, p_settled boolean, p_error text
) RETURNS TABLE (delivery integer, record_id bigint, order_awaited boolean) LANGUAGE plpgsql AS $$
DECLARE
  claimed bigint[] := array_fill(NULL::bigint, ARRAY[cardinality(p_raw_bodies)]);
  record_ids bigint[];
  positions bigint[];
  awaited text[];
BEGIN
  WITH d AS (
    SELECT x.*, p_raw_bodies[x.n] AS raw_body,
           shelfsync_delivery_digest(CASE WHEN x.bytes_per_type THEN x.event_type END, p_raw_bodies[x.n]) AS digest
      FROM ROWS FROM (jsonb_to_recordset(p_deliveries) AS (
             source text, event_id text, event_type text, order_id text, headers jsonb, id_is_signed boolean, bytes_per_type boolean))
           WITH ORDINALITY AS x(source, event_id, event_type, order_id, headers, id_is_signed, bytes_per_type, n)
  ), inserted AS (
    INSERT INTO webhook_events AS w (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, last_error, processed_at)
    SELECT d.source, d.event_id, d.event_type, d.order_id, p_status, d.headers, d.raw_body,
           CASE WHEN d.id_is_signed THEN NULL ELSE d.digest END, p_error, CASE WHEN p_settled THEN now() END
      -- in arrival order, so each delivery meets exactly the keys (event id, body digest) that the earlier
      -- ones took, as one by one; two batches claiming the same new keys in opposite orders deadlock,
      -- and the transaction is retried (TransactionRunner)
      FROM d ORDER BY d.n
    ON CONFLICT DO NOTHING
    RETURNING w.id, w.source, w.event_id, w.raw_body
  ), firsts AS (
    -- of identical deliveries, the first is the one inserted
    SELECT DISTINCT ON (i.id) i.id, d.n
      FROM inserted i JOIN d ON d.source = i.source AND d.event_id = i.event_id AND d.raw_body = i.raw_body
     ORDER BY i.id, d.n
  )
  SELECT array_agg(f.id), array_agg(f.n) INTO record_ids, positions FROM firsts AS f;
  FOR k IN 1..coalesce(cardinality(positions), 0) LOOP
    claimed[positions[k]] := record_ids[k];
  END LOOP;

  IF array_position(claimed, NULL) IS NOT NULL THEN
    -- Seen before (a new statement, so it sees what committed meanwhile): a delivery whose last attempt
    -- failed is taken up again by the first of these that names it.
    WITH d AS (
      SELECT x.*, p_raw_bodies[x.n] AS raw_body,
             shelfsync_delivery_digest(CASE WHEN x.bytes_per_type THEN x.event_type END, p_raw_bodies[x.n]) AS digest
        FROM ROWS FROM (jsonb_to_recordset(p_deliveries) AS (
               source text, event_id text, event_type text, order_id text, headers jsonb, id_is_signed boolean, bytes_per_type boolean))
             WITH ORDINALITY AS x(source, event_id, event_type, order_id, headers, id_is_signed, bytes_per_type, n)
       WHERE claimed[x.n] IS NULL
    ), target AS (
      SELECT DISTINCT ON (w.id) w.id AS failed_id, d.*
        FROM d JOIN webhook_events w
          ON w.source = d.source AND (w.event_id = d.event_id OR (NOT d.id_is_signed AND w.body_sha256 = d.digest))
       WHERE w.status = 'failed'
       ORDER BY w.id, d.n
    ), retried AS (
      UPDATE webhook_events w
         -- what is applied now is this delivery, so the record shows (and a replay uses) its bytes
         SET event_type = t.event_type, order_id = t.order_id, headers = t.headers, raw_body = t.raw_body,
             body_sha256 = CASE WHEN t.id_is_signed THEN NULL ELSE t.digest END
        FROM target t
       WHERE w.id = t.failed_id
         -- checked again on the row itself: a concurrent retry or replay that took it first wins
         AND w.status = 'failed'
      RETURNING w.id, t.n
    )
    SELECT array_agg(r.id), array_agg(r.n) INTO record_ids, positions FROM retried AS r;
    IF record_ids IS NOT NULL THEN
      -- one more attempt of each (shelfsync_record_attempt: the bookkeeping of every attempt)
      PERFORM shelfsync_record_attempt(record_ids, p_status, p_settled, p_error, true);
    END IF;
    FOR k IN 1..coalesce(cardinality(positions), 0) LOOP
      claimed[positions[k]] := coalesce(claimed[positions[k]], record_ids[k]);
    END LOOP;
  END IF;

  -- Every event of an order takes the order's lock first (src/orders/sql/lock_orders.sql).
  PERFORM shelfsync_lock_orders(ARRAY(
    SELECT e->>'order_id' FROM jsonb_array_elements(p_deliveries) WITH ORDINALITY AS x(e, n)
     WHERE claimed[x.n] IS NOT NULL AND e->>'order_id' IS NOT NULL));
  awaited := ARRAY(
    SELECT DISTINCT w.order_id FROM shelfsync_deferred_events(ARRAY(
      SELECT e->>'order_id' FROM jsonb_array_elements(p_deliveries) WITH ORDINALITY AS x(e, n) WHERE claimed[x.n] IS NOT NULL)) AS w);

  RETURN QUERY
    SELECT x.n::integer, claimed[x.n], coalesce(claimed[x.n] IS NOT NULL AND x.e->>'order_id' = ANY(awaited), false)
      FROM jsonb_array_elements(p_deliveries) WITH ORDINALITY AS x(e, n)
     ORDER BY x.n;
END
$$;
