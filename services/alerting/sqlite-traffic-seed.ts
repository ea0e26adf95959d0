import type { Database } from "bun:sqlite";
import type { SeenVisit, TrafficSeed } from "./site-traffic.ts";

const DAY_MS = 86_400_000;

/**
 * What the SQLite event log already holds, for a rule that starts watching (at start-up, or
 * created now): its window's visits and today's pageviews, up to the pipeline's position (what
 * comes after is counted as it is applied). Reads the time index (`+id`: never a walk of the log).
 */
export function sqliteTrafficSeed(db: () => Database, appliedPosition: () => number): TrafficSeed {
  return {
    *visits(site: string, since: number): Iterable<SeenVisit> {
      const rows = db()
        .query(
          `SELECT session_id, received_at, id FROM events
           WHERE site = ? AND received_at >= ? AND type <> 'session_end' AND id <= ?
           ORDER BY received_at, id`,
        )
        .values(site, since, appliedPosition()) as [string, number, number][];
      for (const [sessionId, receivedAt, position] of rows)
        yield { sessionId, receivedAt, position };
    },
    pageviewsToday(site: string, now: number): number {
      const midnight = now - (now % DAY_MS);
      const row = db()
        .query(
          `SELECT COUNT(*) AS count FROM events
           WHERE site = ? AND received_at >= ? AND type = 'pageview' AND +id <= ?`,
        )
        .get(site, midnight, appliedPosition()) as { count: number };
      return row.count;
    },
  };
}
