import type { Database } from "bun:sqlite";
import type { Delivery } from "../../schemas/alerting.ts";

interface DeliveryRow {
  id: number;
  alert_id: string;
  destination_id: number;
  status: Delivery["status"];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  next_attempt_at: number;
  delivered_at: number | null;
  payload: string;
}

/** A delivery the worker sends: the log's row with the body to send. */
export interface DueDelivery {
  id: number;
  alertId: string;
  destinationId: number;
  attempts: number;
  payload: string;
}

/** The outcome of one attempt. */
export interface Attempt {
  status: number | null;
  error: string | null;
}

/** Error texts kept at most this long (a receiver's answer may be anything). */
const MAX_ERROR_CHARS = 500;

/**
 * Every delivery of an alert to a destination, in SQLite: pending (with its next attempt),
 * delivered or failed, its attempts and last error. One row per alert and destination: an alert
 * is queued for a destination once, however often it is seen. Pending ones outlive a restart.
 */
export class DeliveryLog {
  constructor(private readonly db: () => Database) {}

  /** Queues a delivery; its id, or undefined when this alert was already queued for this destination. */
  enqueue(
    alertId: string,
    destinationId: number,
    payload: string,
    now: number,
  ): number | undefined {
    const row = this.db()
      .query(
        `INSERT OR IGNORE INTO alert_deliveries
           (alert_id, destination_id, status, attempts, created_at, next_attempt_at, payload)
         VALUES (?, ?, 'pending', 0, ?, ?, ?) RETURNING id`,
      )
      .get(alertId, destinationId, now, now, payload) as { id: number } | null;
    return row?.id;
  }

  /**
   * Logged as being sent now, outside the queue (a test): the caller records its outcome. Failed
   * until then, so one cut short by a stop is not retried.
   */
  sendingNow(
    alertId: string,
    destinationId: number,
    payload: string,
    now: number,
  ): number | undefined {
    const row = this.db()
      .query(
        `INSERT OR IGNORE INTO alert_deliveries
           (alert_id, destination_id, status, attempts, last_error, created_at, next_attempt_at, payload)
         VALUES (?, ?, 'failed', 0, 'interrupted before an answer', ?, ?, ?) RETURNING id`,
      )
      .get(alertId, destinationId, now, now, payload) as { id: number } | null;
    return row?.id;
  }

  /** Pending deliveries whose time has come, oldest first. */
  due(now: number, limit: number): DueDelivery[] {
    const rows = this.db()
      .query(
        `SELECT * FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`,
      )
      .all(now, limit) as DeliveryRow[];
    return rows.map((row) => ({
      id: row.id,
      alertId: row.alert_id,
      destinationId: row.destination_id,
      attempts: row.attempts,
      payload: row.payload,
    }));
  }

  /** When the next pending delivery is due, if any. */
  nextDueAt(): number | undefined {
    const row = this.db()
      .query("SELECT MIN(next_attempt_at) AS at FROM alert_deliveries WHERE status = 'pending'")
      .get() as { at: number | null };
    return row.at ?? undefined;
  }

  /** Not attempted yet (the destination's rate limit): tried again at `at`. */
  postpone(id: number, at: number): void {
    this.db().query("UPDATE alert_deliveries SET next_attempt_at = ? WHERE id = ?").run(at, id);
  }

  delivered(id: number, attempts: number, attempt: Attempt, now: number): void {
    this.db()
      .query(
        `UPDATE alert_deliveries SET status = 'delivered', attempts = ?, last_status = ?,
           last_error = NULL, delivered_at = ? WHERE id = ?`,
      )
      .run(attempts, attempt.status, now, id);
  }

  /** Failed this time: tried again at `retryAt`, or given up when it is undefined. */
  failed(id: number, attempts: number, attempt: Attempt, retryAt: number | undefined): void {
    this.db()
      .query(
        `UPDATE alert_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
           next_attempt_at = ? WHERE id = ?`,
      )
      .run(
        retryAt === undefined ? "failed" : "pending",
        attempts,
        attempt.status,
        attempt.error?.slice(0, MAX_ERROR_CHARS) ?? null,
        retryAt ?? 0,
        id,
      );
  }

  get(id: number): Delivery | undefined {
    const row = this.db()
      .query("SELECT * FROM alert_deliveries WHERE id = ?")
      .get(id) as DeliveryRow | null;
    return row ? toDelivery(row) : undefined;
  }

  /** A destination's deliveries, newest first. */
  ofDestination(
    destinationId: number,
    limit: number,
    offset: number,
  ): { deliveries: Delivery[]; total: number } {
    const db = this.db();
    const { total } = db
      .query("SELECT COUNT(*) AS total FROM alert_deliveries WHERE destination_id = ?")
      .get(destinationId) as { total: number };
    const rows = db
      .query(
        "SELECT * FROM alert_deliveries WHERE destination_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
      )
      .all(destinationId, limit, offset) as DeliveryRow[];
    return { deliveries: rows.map(toDelivery), total };
  }

  last(destinationId: number): Delivery | null {
    return this.ofDestination(destinationId, 1, 0).deliveries[0] ?? null;
  }
}

function toDelivery(row: DeliveryRow): Delivery {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    alert_id: row.alert_id,
    destination_id: row.destination_id,
    status: row.status,
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    created_at: new Date(row.created_at).toISOString(),
    next_attempt_at: row.status === "pending" ? iso(row.next_attempt_at) : null,
    delivered_at: iso(row.delivered_at),
  };
}
