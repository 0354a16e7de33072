-- Reservation expiry: the unpaid orders (p_statuses, the state machine's EXPIRING_STATUSES) created at
-- least p_ttl ago on the database's clock, oldest first, at most p_limit, that this transaction can
-- take without waiting on anybody:
--   * the order rows FOR NO KEY UPDATE SKIP LOCKED: another instance's sweeper has the rows it claimed,
--     so two sweepers never take the same order, and neither waits on the other. (NO KEY: the lock an
--     UPDATE of the status takes anyway; unlike FOR UPDATE it does not block the foreign-key checks of
--     rows that name the order: lines, history, ledger);
--   * then each order's own lock (shelfsync_lock_orders' key), but only if it is free right now
--     (pg_try_advisory_xact_lock). A delivery of the order that holds it is left alone; the order is
--     looked at again by a later sweep. Never waiting for an order lock while holding order rows is what
--     keeps this from a deadlock with a delivery, which takes the order lock first and the row after.
-- Returns the orders (source and id) whose locks this transaction now holds; the caller reads each status again
-- under its lock before it cancels anything (the rows of orders not returned stay locked till commit,
-- which delays nobody but an UPDATE of those rows).
-- (PL/pgSQL: the row locks are taken, all of them, before any order lock is tried.)
CREATE FUNCTION shelfsync_claim_expired_reservations(p_statuses order_status[], p_ttl interval, p_limit integer)
RETURNS TABLE (source text, order_id text) LANGUAGE plpgsql AS $$
DECLARE
  due_sources text[];
  due text[];
BEGIN
  -- The statuses as a constant in the statement (EXECUTE: planned each time), so that the planner sees
  -- they are those of the partial index orders_unpaid_idx and reads the oldest unpaid orders from it.
  EXECUTE format(
    'SELECT array_agg(c.source ORDER BY c.created_at), array_agg(c.order_id ORDER BY c.created_at)
       FROM (SELECT o.source, o.order_id, o.created_at FROM orders o
              WHERE o.status = ANY(%L::order_status[]) AND o.created_at <= now() - $1
              ORDER BY o.created_at LIMIT $2 FOR NO KEY UPDATE OF o SKIP LOCKED) AS c', p_statuses)
    INTO due_sources, due USING p_ttl, p_limit;
  FOR k IN 1..coalesce(cardinality(due), 0) LOOP
    -- the order id's lock (shelfsync_lock_orders' key), whatever the source
    IF pg_try_advisory_xact_lock(hashtextextended('order:' || due[k], 0)) THEN
      source := due_sources[k];
      order_id := due[k];
      RETURN NEXT;
    END IF;
  END LOOP;
END
$$;

-- Whether the order is still due to expire, read under its lock (a statement of its own, so its
-- snapshot is taken after the lock was granted).
CREATE FUNCTION shelfsync_reservation_due(p_source text, p_order_id text, p_ttl interval) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT o.created_at <= now() - p_ttl FROM orders o WHERE o.source = p_source AND o.order_id = p_order_id), false)
$$;
