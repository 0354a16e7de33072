-- The lock of an order: every event of an order takes it before it reads or changes anything of the
-- order, so two events of one order never interleave, even before the order row exists. Several are
-- taken in one fixed order (of their keys), so two transactions taking overlapping sets never
-- deadlock. Transaction-scoped: held until commit or rollback, and taking it again is free.
CREATE FUNCTION shelfsync_lock_orders(p_order_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(k.key)
     FROM (SELECT DISTINCT hashtextextended('order:' || id, 0) AS key FROM unnest(p_order_ids) AS id ORDER BY 1) AS k;
END
$$;

-- An order's status, read under its lock (taken first, so the read sees every event of the order that
-- committed before it): what a lifecycle event decides on, in one round trip. NULL for an order not
-- known yet.
CREATE FUNCTION shelfsync_lock_order_status(p_order_id text) RETURNS order_status LANGUAGE plpgsql AS $$
DECLARE
  status_now order_status;
BEGIN
  PERFORM shelfsync_lock_orders(ARRAY[p_order_id]);
  -- a statement of its own, so its snapshot is taken after the lock was granted
  SELECT o.status INTO status_now FROM orders o WHERE o.order_id = p_order_id;
  RETURN status_now;
END
$$;
