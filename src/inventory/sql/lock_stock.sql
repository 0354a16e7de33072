-- The stock rows of these SKUs, locked for the rest of the transaction in one fixed order (the SKUs'
-- byte order), so that two transactions locking overlapping SKUs queue behind each other and never
-- wait on each other in a cycle. Every change of counters locks its rows through this function first.
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_lock_stock(p_skus text[]) RETURNS SETOF stock LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT * FROM stock WHERE sku = ANY(p_skus) ORDER BY sku COLLATE "C" FOR UPDATE;
END
$$;
