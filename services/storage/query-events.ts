import type { Database } from "bun:sqlite";

/**
 * Events copied a turn by the timer: ~3 ms of SQLite work here, ~40 ms for the slice that meets a
 * WAL checkpoint (as a commit does), by bench/query-events.ts.
 */
export const COPY_SLICE = 2_000;

/** What the query endpoint reads of an event (services/analytics-query/sql.ts), nothing more. */
const COLUMNS = "id, site, received_at, type, name, page, session_id, user_id, visitor_id";

// The table's own high-water mark bounds the copy: SQLite reads it and copies in one statement,
// so a copy interrupted by a crash or a removed file resumes where the table stands.
const COPY = `INSERT INTO query_events (${COLUMNS})
  SELECT ${COLUMNS} FROM events
  WHERE id > (SELECT COALESCE(MAX(id), 0) FROM query_events) ORDER BY id LIMIT ?`;

const BACKLOG = `SELECT (SELECT COALESCE(MAX(id), 0) FROM events)
  - (SELECT COALESCE(MAX(id), 0) FROM query_events) AS backlog`;

/**
 * `query_events`: the query endpoint's table of the events (migration 10), derived from the log
 * off the hot path, so that a stored event pays for one time index rather than the query's
 * covering index too. The timer copies a slice a turn; every query read copies the rest first.
 */
export class QueryEventsCopy {
  /** `db` is asked each time: storage replaces the connection when it rebuilds the file. */
  constructor(private readonly db: () => Database) {}

  /** Copies up to `limit` events past the table's last one (every one by default); answers how many. */
  copy(limit = -1): number {
    return this.db().query(COPY).run(limit).changes;
  }

  /** Events logged and not copied yet (at most: retention may have deleted some of them). */
  get backlog(): number {
    return (this.db().query(BACKLOG).get() as { backlog: number }).backlog;
  }

  /**
   * The timer's copy: the backlog as it stands now, a slice a turn, so a burst of 100,000 events
   * never holds the event loop for one long statement (reads still copy everything first).
   */
  async copyInSlices(slice = COPY_SLICE): Promise<void> {
    for (let turns = Math.ceil(this.backlog / slice); turns > 0; turns--) {
      if (this.copy(slice) < slice) return;
      if (turns > 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
