import type { Logger } from "../logger.ts";
import {
  type EndedSessionRecord,
  SessionArchive,
  type VisitRecord,
} from "../storage/session-archive.ts";
import type { PostgresHistory } from "./postgres-history.ts";

/**
 * Visits on their way to Postgres (cluster mode): the live sessions' rows (VisitRollup's flush)
 * and the ended sessions' final rows wait here, and `write` sends them in one transaction, on
 * the archive timer and before a read. Every instance writes the same visits from its own copy of
 * the live state: PostgresHistory's guarded upsert keeps the latest. A failed write is logged
 * and its rows tried again with the next.
 */
export class ClusterVisits {
  private waiting: VisitRecord[] = [];
  private writing: Promise<void> | undefined;
  /** SessionArchive's own conversion of ended sessions to visit rows, captured rather than written. */
  private readonly endedRows: SessionArchive;

  constructor(
    private readonly history: PostgresHistory,
    private readonly logger: Logger,
  ) {
    const visits = this;
    this.endedRows = new (class extends SessionArchive {
      override writeVisits(rows: readonly VisitRecord[]): void {
        visits.add(rows);
      }
    })(() => {
      throw new Error("ended sessions go to Postgres in cluster mode");
    });
  }

  /** The live sessions' rows as they stand (VisitRollup's writer). */
  add(rows: readonly VisitRecord[]): void {
    for (const row of rows) this.waiting.push(row);
  }

  /** A session a projection ended: its final row. */
  addEnded(ended: EndedSessionRecord): void {
    this.endedRows.write([ended]);
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** Writes what waits (after any write in flight); resolves even when it failed (logged). */
  async write(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.writing = this.history
      .writeVisits(batch)
      .catch((error: unknown) => {
        // Ahead of newer rows; the upsert keeps the latest of a session's rows anyway.
        this.waiting = batch.concat(this.waiting);
        this.logger.error(
          { err: error, visits: batch.length },
          "writing visits to postgres failed",
        );
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }
}
