import type { Database } from "bun:sqlite";

/** What the archive keeps of a session that ended (a session view has these fields). */
export interface ArchivedSession {
  session_id: string;
  started_at: string;
  site: string;
  country: string;
  device: string;
  current_page: string;
  journey: string[];
  journey_truncated: boolean;
  page_views: number;
}

export interface EndedSessionRecord {
  session: ArchivedSession;
  reason: string;
  endedAt: number;
}

/**
 * Ended sessions waiting to be written to `sessions`: flushed on a timer, at shutdown, and in the
 * transaction of each snapshot (the replay after it would not end them again). A write replaces
 * the row, so a session archived twice (ended again by a replay after a crash) is stored once.
 */
export class SessionArchive {
  private waiting: EndedSessionRecord[] = [];

  constructor(private readonly database: () => Database) {}

  record(ended: EndedSessionRecord): void {
    this.waiting.push(ended);
  }

  /** Writes what waits in one transaction; kept for the next attempt if that fails. */
  flush(): void {
    if (this.waiting.length === 0) return;
    const db = this.database();
    this.writeWithin((batch) => db.transaction(() => this.write(batch))());
  }

  /** Runs `write` with everything waiting taken out; put back, ahead of newer ones, if it throws. */
  writeWithin<T>(write: (batch: readonly EndedSessionRecord[]) => T): T {
    const batch = this.take();
    try {
      return write(batch);
    } catch (error) {
      this.putBack(batch);
      throw error;
    }
  }

  take(): EndedSessionRecord[] {
    const batch = this.waiting;
    this.waiting = [];
    return batch;
  }

  /** Ahead of those recorded since: a failed write loses none. */
  putBack(batch: readonly EndedSessionRecord[]): void {
    if (batch.length > 0) this.waiting = batch.concat(this.waiting);
  }

  /** Inserts `batch` (the caller holds the transaction). */
  write(batch: readonly EndedSessionRecord[]): void {
    if (batch.length === 0) return;
    const insert = this.database().query(
      `INSERT OR REPLACE INTO sessions (session_id, started_at, ended_at, end_reason, site, country,
         device, entry_page, exit_page, page_views, journey, journey_truncated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const { session, reason, endedAt } of batch) {
      insert.run(
        session.session_id,
        Date.parse(session.started_at),
        endedAt,
        reason,
        session.site,
        session.country,
        session.device,
        session.journey[0] ?? session.current_page,
        session.current_page,
        session.page_views,
        JSON.stringify(session.journey),
        session.journey_truncated ? 1 : 0,
      );
    }
  }
}
