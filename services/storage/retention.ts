import type { Database } from "bun:sqlite";
import { DAY_MS, type History } from "./history.ts";

/**
 * Housekeeping: roll up finished days, then delete raw events older than `retentionDays`, only
 * those a snapshot already covers (up to `snapshotPosition`), so the live state never needs them
 * again. Old snapshots are deleted by the transaction that writes the next one.
 */
export function applyRetention(
  db: Database,
  history: History,
  now: number,
  retentionDays: number,
  snapshotPosition: number,
): { rolledUp: string[]; deletedEvents: number } {
  const rolledUp = history.rollUpCompletedDays(now);
  const cutoff = now - retentionDays * DAY_MS;
  // The query endpoint's copies first, while the events still say which they are.
  db.query(
    "DELETE FROM query_events WHERE id IN (SELECT id FROM events WHERE received_at < ? AND id <= ?)",
  ).run(cutoff, Math.max(snapshotPosition, 0));
  const deleted = db
    .query("DELETE FROM events WHERE received_at < ? AND id <= ?")
    .run(cutoff, Math.max(snapshotPosition, 0));
  // A custom event's properties go with it.
  db.query("DELETE FROM event_props WHERE received_at < ? AND event_id <= ?").run(
    cutoff,
    Math.max(snapshotPosition, 0),
  );
  return { rolledUp, deletedEvents: deleted.changes };
}
