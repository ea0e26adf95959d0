import type { Delivery } from "../../schemas/alerting.ts";
import type { HistoryDatabase } from "../storage/history-database.ts";

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
  /** Its `next_attempt_at` while this worker holds it: the lease's end and its token. */
  leaseUntil: number;
}

/** The outcome of one attempt. */
export interface Attempt {
  status: number | null;
  error: string | null;
}

/** Error texts kept at most this long (a receiver's answer may be anything). */
const MAX_ERROR_CHARS = 500;
/** Columns Postgres answers as text (BIGINT, COUNT, MIN). */
const NUMBERS = ["created_at", "next_attempt_at", "delivered_at", "total", "at"];

export interface DeliveryLogOptions {
  /**
   * Shared by several workers (a cluster's Postgres): due rows are claimed with
   * `FOR UPDATE SKIP LOCKED`, so two workers never take the same one.
   */
  shared: boolean;
}

/**
 * Every delivery of an alert to a destination: pending (with its next attempt), delivered or
 * failed, its attempts and last error; in SQLite, or in a cluster the shared Postgres. One row per
 * alert and destination: an alert is queued for a destination once, however often (and by however
 * many instances) it is seen. Pending ones outlive a restart.
 *
 * A worker claims the due rows by moving their `next_attempt_at` to the end of a lease; the
 * outcome is written only while that lease is still its own (the row's `next_attempt_at` is
 * still the lease's end). A worker that dies mid-attempt leaves the row to be claimed again when
 * its lease ends.
 */
export class DeliveryLog {
  private readonly lockRows: string;

  constructor(
    private readonly db: HistoryDatabase,
    options: DeliveryLogOptions = { shared: false },
  ) {
    // SQLite has one writer at a time, and no FOR UPDATE.
    this.lockRows = options.shared ? "FOR UPDATE SKIP LOCKED" : "";
  }

  /** Queues a delivery; its id, or undefined when this alert was already queued for this destination. */
  async enqueue(
    alertId: string,
    destinationId: number,
    payload: string,
    now: number,
  ): Promise<number | undefined> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO alert_deliveries
         (alert_id, destination_id, status, attempts, created_at, next_attempt_at, payload)
       VALUES (?, ?, 'pending', 0, ?, ?, ?)
       ON CONFLICT (alert_id, destination_id) DO NOTHING RETURNING id`,
      [alertId, destinationId, now, now, payload],
    );
    return row?.id;
  }

  /**
   * Logged as being sent now, outside the queue (a test): the caller records its outcome. Failed
   * until then, so one cut short by a stop is not retried.
   */
  async sendingNow(
    alertId: string,
    destinationId: number,
    payload: string,
    now: number,
  ): Promise<number | undefined> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO alert_deliveries
         (alert_id, destination_id, status, attempts, last_error, created_at, next_attempt_at, payload)
       VALUES (?, ?, 'failed', 0, 'interrupted before an answer', ?, ?, ?)
       ON CONFLICT (alert_id, destination_id) DO NOTHING RETURNING id`,
      [alertId, destinationId, now, now, payload],
    );
    return row?.id;
  }

  /**
   * Claims pending deliveries whose time has come, oldest first, until `leaseUntil`: their next
   * attempt moves there, so no other worker sees them due before then.
   */
  async claimDue(now: number, limit: number, leaseUntil: number): Promise<DueDelivery[]> {
    const rows = await this.db.all<DeliveryRow>(
      `UPDATE alert_deliveries SET next_attempt_at = ?1
       WHERE id IN (
           SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= ?2
           ORDER BY next_attempt_at, id LIMIT ?3 ${this.lockRows})
         AND status = 'pending' AND next_attempt_at <= ?2
       RETURNING *`,
      [leaseUntil, now, limit],
      NUMBERS,
    );
    return rows
      .sort((a, b) => a.id - b.id)
      .map((row) => ({
        id: row.id,
        alertId: row.alert_id,
        destinationId: row.destination_id,
        attempts: row.attempts,
        payload: row.payload,
        leaseUntil: row.next_attempt_at,
      }));
  }

  /** When the next pending delivery is due (or a lease ends), if any. */
  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db.get<{ at: number | null }>(
      "SELECT MIN(next_attempt_at) AS at FROM alert_deliveries WHERE status = 'pending'",
      [],
      NUMBERS,
    );
    return row?.at ?? undefined;
  }

  /** Not attempted yet (the destination's rate limit): tried again at `at`. */
  async postpone(delivery: DueDelivery, at: number): Promise<void> {
    await this.db.run(
      `UPDATE alert_deliveries SET next_attempt_at = ?
       WHERE id = ? AND status = 'pending' AND next_attempt_at = ?`,
      [at, delivery.id, delivery.leaseUntil],
    );
  }

  /** Given back unattempted (a worker stopping): due again at `now`. */
  async release(delivery: DueDelivery, now: number): Promise<void> {
    await this.postpone(delivery, now);
  }

  /** Delivered; false when the lease was lost (another worker holds it now). */
  async delivered(
    delivery: number | DueDelivery,
    attempts: number,
    attempt: Attempt,
    now: number,
  ): Promise<boolean> {
    const [id, lease, leaseParams] = leaseOf(delivery);
    const { changes } = await this.db.run(
      `UPDATE alert_deliveries SET status = 'delivered', attempts = ?, last_status = ?,
         last_error = NULL, delivered_at = ? WHERE id = ?${lease}`,
      [attempts, attempt.status, now, id, ...leaseParams],
    );
    return changes > 0;
  }

  /** Failed this time: tried again at `retryAt`, or given up when it is undefined. */
  async failed(
    delivery: number | DueDelivery,
    attempts: number,
    attempt: Attempt,
    retryAt: number | undefined,
  ): Promise<boolean> {
    const [id, lease, leaseParams] = leaseOf(delivery);
    const { changes } = await this.db.run(
      `UPDATE alert_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
         next_attempt_at = ? WHERE id = ?${lease}`,
      [
        retryAt === undefined ? "failed" : "pending",
        attempts,
        attempt.status,
        attempt.error?.slice(0, MAX_ERROR_CHARS) ?? null,
        retryAt ?? 0,
        id,
        ...leaseParams,
      ],
    );
    return changes > 0;
  }

  async get(id: number): Promise<Delivery | undefined> {
    const row = await this.db.get<DeliveryRow>(
      "SELECT * FROM alert_deliveries WHERE id = ?",
      [id],
      NUMBERS,
    );
    return row ? toDelivery(row) : undefined;
  }

  /** A destination's deliveries, newest first. */
  async ofDestination(
    destinationId: number,
    limit: number,
    offset: number,
  ): Promise<{ deliveries: Delivery[]; total: number }> {
    const counted = await this.db.get<{ total: number }>(
      "SELECT COUNT(*) AS total FROM alert_deliveries WHERE destination_id = ?",
      [destinationId],
      NUMBERS,
    );
    const rows = await this.db.all<DeliveryRow>(
      "SELECT * FROM alert_deliveries WHERE destination_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
      [destinationId, limit, offset],
      NUMBERS,
    );
    return { deliveries: rows.map(toDelivery), total: counted?.total ?? 0 };
  }

  async last(destinationId: number): Promise<Delivery | null> {
    return (await this.ofDestination(destinationId, 1, 0)).deliveries[0] ?? null;
  }
}

/** A claimed delivery's outcome is written only while its lease holds; a test's row has none. */
function leaseOf(delivery: number | DueDelivery): [number, string, number[]] {
  if (typeof delivery === "number") return [delivery, "", []];
  return [delivery.id, " AND status = 'pending' AND next_attempt_at = ?", [delivery.leaseUntil]];
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
