-- The lock of an order: every event of an order takes it before it reads or changes anything of the
-- order, so two events of one order never interleave, even before the order row exists. It is the lock
-- of the order id, whatever the source: a payment that may reach the orders of several sources takes
-- one lock, the id's, and finds under it whichever of them exist; two sources' orders that share an id
-- (rare) only queue behind each other. Several are
-- taken in one fixed order (of their keys), so two transactions taking overlapping sets never
-- deadlock. Transaction-scoped: held until commit or rollback, and taking it again is free.
CREATE FUNCTION shelfsync_lock_orders(p_order_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(k.key)
     FROM (SELECT DISTINCT hashtextextended('order:' || id, 0) AS key FROM unnest(p_order_ids) AS id ORDER BY 1) AS k;
END
$$;

-- The orders of one id among p_sources (those a delivery may reach), with their statuses, read under
-- the id's lock (taken first, so the read sees every event of the order that committed before it): what
-- a lifecycle event decides on, in one round trip. No row: no such order yet; several: the id is
-- ambiguous among those sources.
CREATE FUNCTION shelfsync_lock_order_status(p_order_id text, p_sources text[])
RETURNS TABLE (source text, status order_status) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM shelfsync_lock_orders(ARRAY[p_order_id]);
  -- a statement of its own, so its snapshot is taken after the lock was granted
  RETURN QUERY SELECT o.source, o.status FROM orders o WHERE o.order_id = p_order_id AND o.source = ANY(p_sources) ORDER BY o.source;
END
$$;
