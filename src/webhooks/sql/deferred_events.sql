-- The deliveries that wait for these orders: deferred until their order reaches a status that allows
-- them. The one look-up of waiting events, for the claim (are events waiting for this delivery's
-- order?) and for the deferred-events scheduler (which are they?). The order in which they are tried
-- is the state machine's (src/orders/order-state-machine.ts), not this function's.
CREATE FUNCTION shelfsync_deferred_events(p_order_ids text[]) RETURNS SETOF webhook_events LANGUAGE sql STABLE AS $$
  SELECT * FROM webhook_events WHERE order_id = ANY(p_order_ids) AND status = 'deferred'
$$;
