-- The limit of the benchmark: one new_order delivery applied as pure SQL by
-- pgbench (prepared statements), the same transaction as bench/plain-receiver.ts:
-- claim the event id, insert the order and its 1-2 lines, reserve each SKU with
-- a guarded update, in SKU order. Orders have 1 or 2 lines (half each) on
-- distinct SKUs, picked as bench/load.ts picks them for the HTTP targets.
--
-- Variables (pgbench -D), set by bench/run.ts per scenario:
--   skus      SKUs seeded (SKU-0001..)                     1000
--   hot_skus  SKUs of the hot set (SKU-0001..)             5, or 0 for uniform
--   hot_pct   % of SKU picks that go to the hot set        90, or 0
--   dup_pct   % of deliveries that resend a pooled event   30, or 0
--   pool      events pre-inserted as evt_pool_1..evt_pool_<pool>
--   headers   the JSON of the headers an HTTP delivery carries (stored with it)
-- Beware: pgbench takes any colon followed by a letter or digit for a variable,
-- even inside a string literal, hence the spaces in the JSON below.
\set lines random(1, 2)
\set a case when random(1, 100) <= :hot_pct then random(1, :hot_skus) else random(:hot_skus + 1, :skus) end
\set b case when random(1, 100) <= :hot_pct then random(1, :hot_skus) else random(:hot_skus + 1, :skus) end
\set b case when :b = :a then :a % :skus + 1 else :b end
\set lo case when :lines = 1 then :a else least(:a, :b) end
\set hi greatest(:a, :b)
\set dup case when random(1, 100) <= :dup_pct then 1 else 0 end
\set pick random(1, :pool)
BEGIN;
-- The dedupe claim: a fresh key (or a pooled one for a redelivery), the body the
-- gateway would have sent, and the headers a request carries, as the service stores them.
WITH k AS (
  SELECT CASE WHEN :dup = 1 THEN 'pool_' || :pick ELSE gen_random_uuid()::text END AS key
), e AS (
  SELECT key, convert_to(format(
    '{"id":"evt_%s","event":"new_order","created_at":"%s","data":{"order_id":"%s","customer_name":"Bench Customer %s",'
    '"total_amount":%s,"currency":"USD","items":[{"sku":"SKU-%s","quantity": 1,"unit_price": 10.5}%s]}}',
    key, now(), key, :a::int, 10.5 * :lines, lpad(:a::text, 4, '0'),
    CASE WHEN :lines = 2 THEN format(',{"sku":"SKU-%s","quantity": 1,"unit_price": 10.5}', lpad(:b::text, 4, '0')) ELSE '' END
  ), 'UTF8') AS body
  FROM k
), ins AS (
  INSERT INTO webhook_events (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, processed_at)
  SELECT 'default', 'evt_' || key, 'new_order', key, 'processed',
         :headers::jsonb,
         body, sha256(body), now()
    FROM e
  ON CONFLICT DO NOTHING
  RETURNING order_id
)
SELECT count(*) AS fresh, coalesce(min(order_id), '') AS oid FROM ins \gset
\if :fresh
INSERT INTO orders (order_id, status, customer_name, customer_email, total_amount, currency, source)
  VALUES (:oid, 'pending', 'Bench Customer ' || :a, NULL, 10.5 * :lines, 'USD', 'default');
INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, unit_price)
  VALUES ('default', :oid, 1, 'SKU-' || lpad(:a::text, 4, '0'), 1, 10.5);
\if :lines = 2
INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, unit_price)
  VALUES ('default', :oid, 2, 'SKU-' || lpad(:b::text, 4, '0'), 1, 10.5);
\endif
UPDATE stock SET reserved = reserved + 1, updated_at = now()
 WHERE sku = 'SKU-' || lpad(:lo::text, 4, '0') AND on_hand - reserved >= 1;
\if :lines = 2
UPDATE stock SET reserved = reserved + 1, updated_at = now()
 WHERE sku = 'SKU-' || lpad(:hi::text, 4, '0') AND on_hand - reserved >= 1;
\endif
\endif
END;
