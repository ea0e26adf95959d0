import type { SQL } from "bun";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import { fromRow } from "../storage/event-log.ts";

/**
 * The archived events after `position` (and before `before`) in Postgres, in order, stopping at
 * the first missing position: instances archive batches side by side, so a later batch may be
 * there before an earlier one (the stream still holds what is missing).
 */
export async function* readArchived(
  sql: SQL,
  position: number,
  before = Number.MAX_SAFE_INTEGER,
  pageSize = 5000,
): AsyncGenerator<CommittedEvent> {
  let expected = position + 1;
  while (true) {
    const rows = (await sql`SELECT * FROM events WHERE position >= ${expected}
      AND position < ${before} ORDER BY position LIMIT ${pageSize}`) as Record<string, unknown>[];
    for (const row of rows) {
      const at = Number(row.position);
      if (at !== expected) return;
      // SQLite's row shape, keyed by id; BIGINT columns arrive as strings.
      const shaped = { ...row, id: at, received_at: Number(row.received_at) };
      const { event, receivedAt } = fromRow(shaped as unknown as Parameters<typeof fromRow>[0]);
      yield { position: at, event, receivedAt };
      expected++;
    }
    if (rows.length < pageSize) return;
  }
}
