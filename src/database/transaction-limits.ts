/**
 * How long one of the service's transactions may hold a connection, a lock
 * wait or an idle open transaction: a sender hears 503 within seconds and
 * retries, and nothing holds a row for long.
 *
 * They are set inside each transaction (`set_config(..., true)`, which is
 * `SET LOCAL`), never as startup parameters or with a session `SET`: through
 * a transaction pooler (PgBouncer in transaction mode) a session is not the
 * client's. PgBouncer refuses startup parameters it does not know
 * (`unsupported startup parameter: statement_timeout`), and a session `SET`
 * would stay on whichever server connection ran it, for the next client.
 */
export const TRANSACTION_LIMITS = {
  statement_timeout: 8_000,
  lock_timeout: 5_000,
  idle_in_transaction_session_timeout: 30_000,
} as const;

type Limits = Partial<Record<keyof typeof TRANSACTION_LIMITS, number>>;

/** The one statement that applies `limits` to the rest of the current transaction (milliseconds each). */
export function setLocalLimits(limits: Limits = TRANSACTION_LIMITS): string {
  const settings = Object.entries(limits).map(([name, ms]) => `set_config('${name}', '${Math.trunc(ms)}', true)`);
  return `SELECT ${settings.join(', ')}`;
}

export const SET_TRANSACTION_LIMITS = setLocalLimits();

/**
 * How long the service waits, on its side, for a transaction that has begun
 * to finish, before it closes the connection and answers 503. The server's
 * timeouts above end any statement long before this on a server that
 * answers; this is for one that stopped answering mid-transaction (a hung or
 * partitioned host, with a pooler between that has no query_timeout), which
 * would otherwise hold the request and the connection until TCP gives up.
 * A commit whose answer is lost this way may have happened: the 503 makes
 * the sender retry, and the retry is answered `duplicate`.
 */
export const CLIENT_DEADLINE_MS = 20_000;
