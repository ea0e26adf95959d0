import type { Database } from "bun:sqlite";
import type { SessionEndReason, SessionView } from "../../interfaces/analytics.ts";
import type { AnalyticsStoreState } from "../analytics-store.ts";
import type { CompatCountersState } from "../compat-counters.ts";
import { type Durability, openDatabase } from "./database.ts";
import { EventLog } from "./event-log.ts";
import { DAY_MS, History } from "./history.ts";

export interface LiveState {
  store: AnalyticsStoreState;
  compat: CompatCountersState;
}

export interface StorageOptions {
  dataDir: string;
  durability: Durability;
  busyTimeoutMs: number;
  retentionDays: number;
}

/** Snapshots kept; older ones are deleted by cleanup. */
const SNAPSHOTS_KEPT = 2;

/**
 * Footfall's embedded durable store on bun:sqlite: the event log (the source of truth), live-state
 * snapshots (so a restart replays only what came after the last one), ended sessions, and the
 * daily roll-ups history is answered from.
 */
export class Storage {
  readonly log: EventLog;
  readonly history: History;
  private endedSessions: { session: SessionView; reason: SessionEndReason; endedAt: number }[] = [];
  private lastSnapshotEventId = -1;

  private constructor(
    readonly db: Database,
    private readonly options: StorageOptions,
  ) {
    this.log = new EventLog(db);
    this.history = new History(db, options.retentionDays * DAY_MS);
  }

  static open(options: StorageOptions): Storage {
    return new Storage(
      openDatabase(options.dataDir, options.durability, options.busyTimeoutMs),
      options,
    );
  }

  latestSnapshot(): { lastEventId: number; state: LiveState } | undefined {
    const row = this.db
      .query("SELECT last_event_id, state FROM snapshots ORDER BY id DESC LIMIT 1")
      .get() as { last_event_id: number; state: string } | null;
    if (!row) return undefined;
    this.lastSnapshotEventId = row.last_event_id;
    return { lastEventId: row.last_event_id, state: JSON.parse(row.state) as LiveState };
  }

  /**
   * Saves the live state as of the last committed event. Callers take it between event-loop turns,
   * when every committed event has been applied (the bus runs right after each commit).
   */
  saveSnapshot(state: LiveState, now: number): boolean {
    const lastEventId = this.log.lastId();
    if (lastEventId === this.lastSnapshotEventId) return false;
    this.db
      .query("INSERT INTO snapshots (created_at, last_event_id, state) VALUES (?, ?, ?)")
      .run(now, lastEventId, JSON.stringify(state));
    this.lastSnapshotEventId = lastEventId;
    return true;
  }

  recordEndedSession(session: SessionView, reason: SessionEndReason, endedAt: number): void {
    this.endedSessions.push({ session, reason, endedAt });
  }

  /** Writes ended sessions in one transaction (called on a timer and at shutdown). */
  flushEndedSessions(): void {
    if (this.endedSessions.length === 0) return;
    const batch = this.endedSessions;
    this.endedSessions = [];
    const insert = this.db.query(
      `INSERT OR REPLACE INTO sessions (session_id, started_at, ended_at, end_reason, site, country,
         device, entry_page, exit_page, page_views, journey, journey_truncated)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
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
    })();
  }

  /**
   * Housekeeping: roll up finished days, then delete raw events older than RETENTION_DAYS (only
   * those a snapshot already covers, so the live state never needs them again), and old snapshots.
   */
  cleanup(now: number): { rolledUp: string[]; deletedEvents: number } {
    const rolledUp = this.history.rollUpCompletedDays(now);
    const cutoff = now - this.options.retentionDays * DAY_MS;
    const deleted = this.db
      .query("DELETE FROM events WHERE received_at < ? AND id <= ?")
      .run(cutoff, Math.max(this.lastSnapshotEventId, 0));
    this.db
      .query(
        `DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT ${SNAPSHOTS_KEPT})`,
      )
      .run();
    return { rolledUp, deletedEvents: deleted.changes };
  }

  /** A consistent copy of the database while running (SQLite's VACUUM INTO). */
  backupTo(file: string): void {
    this.db.query("VACUUM INTO ?").run(file);
  }

  close(): void {
    this.log.commit();
    this.flushEndedSessions();
    this.db.close();
  }
}
