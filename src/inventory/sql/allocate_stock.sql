-- The allocation rule: which requests for stock can have all of their units.
--
-- p_requests: [{lines: [{sku, quantity}]}], in arrival order. Locks the SKUs' rows (in SKU order,
-- shelfsync_lock_stock) and shares out what is available in that order: each request takes every
-- unit it asks for, or none (lines naming one SKU are added up); a SKU without a stock row has
-- nothing available; a line without a SKU asks for nothing. Changes nothing: the caller reserves what is granted (with ledger rows,
-- shelfsync_apply_stock_movements) before the transaction ends, while the rows stay locked.
-- One row per request, in the order given: granted, and the SKUs it is short of (in SKU order).
CREATE FUNCTION shelfsync_allocate_stock(p_requests jsonb)
RETURNS TABLE (request integer, granted boolean, short_skus text[]) LANGUAGE plpgsql AS $$
DECLARE
  skus text[];
  available integer[];
  lines jsonb;
  line record;
  positions integer[];
  quantities integer[];
BEGIN
  SELECT coalesce(array_agg(s.sku ORDER BY s.sku COLLATE "C"), '{}'), coalesce(array_agg(s.available ORDER BY s.sku COLLATE "C"), '{}')
    INTO skus, available
    FROM shelfsync_lock_stock(ARRAY(
           SELECT l->>'sku' FROM jsonb_array_elements(p_requests) AS r, jsonb_array_elements(r->'lines') AS l WHERE l->>'sku' IS NOT NULL)) AS s;

  FOR request, lines IN
    SELECT r.n::integer, r.value->'lines' FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS r(value, n) ORDER BY r.n
  LOOP
    short_skus := '{}';
    positions := '{}';
    quantities := '{}';
    FOR line IN
      SELECT l.sku, l.quantity, array_position(skus, l.sku) AS pos
        FROM (SELECT x->>'sku' AS sku, sum((x->>'quantity')::integer)::integer AS quantity
                FROM jsonb_array_elements(coalesce(lines, '[]')) AS x WHERE x->>'sku' IS NOT NULL GROUP BY x->>'sku') AS l
       ORDER BY l.sku COLLATE "C"
    LOOP
      IF line.pos IS NULL OR available[line.pos] < line.quantity THEN
        short_skus := short_skus || line.sku;
      ELSE
        positions := positions || line.pos;
        quantities := quantities || line.quantity;
      END IF;
    END LOOP;
    granted := cardinality(short_skus) = 0;
    IF granted THEN
      FOR k IN 1..cardinality(positions) LOOP
        available[positions[k]] := available[positions[k]] - quantities[k];
      END LOOP;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
