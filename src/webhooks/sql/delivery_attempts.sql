-- A delivery's attempts, as the event log keeps them: the one statement that writes the bookkeeping of
-- an attempt, for the claim taking up a failed delivery again, a replay, and every failure kept.
--
-- p_ids: the records. Each is given p_status with p_error (no reason: the outcome's reason is written
-- by the outcome), and processed_at when p_settled; p_new_attempt counts one more attempt (a retry or
-- a replay begins one; a deferred delivery that fails when its turn comes ends the attempt that
-- deferred it); p_order_id, when given, is the order the attempt was read to name (a replay that
-- found the order by its payment).
-- (PL/pgSQL rather than SQL: its statement's plan is kept for the session instead of made at every call.)
CREATE FUNCTION shelfsync_record_attempt(
  p_ids bigint[], p_status delivery_status, p_settled boolean, p_error text, p_new_attempt boolean,
  p_order_id text DEFAULT NULL
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE webhook_events
     SET attempts = attempts + CASE WHEN p_new_attempt THEN 1 ELSE 0 END,
         status = p_status, reason = NULL, last_error = p_error,
         processed_at = CASE WHEN p_settled THEN now() END,
         order_id = coalesce(p_order_id, order_id)
   WHERE id = ANY(p_ids);
END
$$;
