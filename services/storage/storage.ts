import { Database } from "bun:sqlite";
import { mkdirSync, renameSync, rmSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import type { SessionEndReason, SessionView } from "../../interfaces/analytics.ts";
import type { AlertDetectorState } from "../alert-detector.ts";
import type { AnalyticsStoreState } from "../analytics-store.ts";
import type { CompatCountersState } from "../compat-counters.ts";
import { checkIntegrity, DATABASE_FILE, type Durability, openDatabase } from "./database.ts";
import { EventLog } from "./event-log.ts";
import { DAY_MS, History } from "./history.ts";
import { joinValue, SNAPSHOT_PART_SIZE, type SplitArray, splitValue } from "./snapshot-parts.ts";

export interface LiveState {
  store: AnalyticsStoreState;
  compat: CompatCountersState;
  /** Absent in snapshots written before alert state was kept. */
  alerts?: AlertDetectorState;
}

export interface StorageOptions {
  dataDir: string;
  durability: Durability;
  busyTimeoutMs: number;
  retentionDays: number;
  /** How often the watchdog checks the files and, while degraded, probes a write (ms). */
  probeIntervalMs?: number;
  /** Told when the database file was lost and when it was rebuilt (for the log). */
  onIncident?: (message: string, details: Record<string, unknown>) => void;
  /** Elements per snapshot part: longer arrays of the live state are written in parts of this size. */
  snapshotPartSize?: number;
}

/** Snapshots kept; older ones are deleted by cleanup. */
const SNAPSHOTS_KEPT = 2;
export const PROBE_INTERVAL_MS = 250;

interface FileIdentity {
  dev: number;
  ino: number;
}

interface EndedSession {
  session: SessionView;
  reason: SessionEndReason;
  endedAt: number;
}

/**
 * Footfall's embedded durable store on bun:sqlite: the event log (the source of truth), live-state
 * snapshots (so a restart replays only what came after the last one), ended sessions, and the
 * daily roll-ups history is answered from.
 *
 * It also guards the promise that an acknowledgement means durable. SQLite keeps writing into a
 * database file that was deleted (the open descriptor outlives the name), so before every commit
 * the file at the path must still be the one opened; if not, commits are refused (503) and the
 * watchdog rebuilds the file at its path from the open connection, which still reads everything
 * committed. While degraded the watchdog probes a small write, so health recovers without traffic,
 * and the busy timeout drops to zero, so a locked database stalls the event loop once, not on
 * every commit.
 */
export class Storage {
  readonly log: EventLog;
  readonly history: History;
  private endedSessions: EndedSession[] = [];
  private lastSnapshotEventId = -1;
  /** The alert state last saved: it changes without events (a spike ends as time passes). */
  private lastSnapshotAlerts = "";
  private restoredAlerts: AlertDetectorState | undefined;
  private current: Database;
  private readonly path: string;
  private identity: FileIdentity;
  private walIdentity: FileIdentity | undefined;
  /** Why the file at the path is not ours any more; set until the file is rebuilt. */
  private fileLost: string | undefined;
  /** The connection was closed to rebuild the file, from this copy, and not reopened yet. */
  private pendingRescue: string | undefined;
  /** Set when a rebuilt file failed its check: nothing is left to rebuild from. */
  private rescueFailed: string | undefined;
  /** Where this connection's data was saved when another file took the path. */
  private orphan: string | undefined;
  private readonly watchdog: ReturnType<typeof setInterval>;

  private constructor(
    db: Database,
    private readonly options: StorageOptions,
  ) {
    this.current = db;
    this.path = join(options.dataDir, DATABASE_FILE);
    this.identity = identityOf(statSync(this.path));
    this.walIdentity = this.walNow();
    this.log = new EventLog(db);
    this.history = new History(db, options.retentionDays * DAY_MS);
    this.log.setGuard(() => this.assertOwnFile());
    this.log.onDegradedChange((degraded) => this.applyBusyTimeout(degraded));
    this.watchdog = setInterval(() => this.watch(), options.probeIntervalMs ?? PROBE_INTERVAL_MS);
    this.watchdog.unref?.();
  }

  /** The alert state of the snapshot start-up restored from, if it held one. */
  restoredAlertState(): AlertDetectorState | undefined {
    return this.restoredAlerts;
  }

  static open(options: StorageOptions): Storage {
    return new Storage(
      openDatabase(options.dataDir, options.durability, options.busyTimeoutMs),
      options,
    );
  }

  /** The open connection (replaced when a removed database file is rebuilt). */
  get db(): Database {
    return this.current;
  }

  /** Why writes are refused because of the file itself, if they are. */
  get fileProblem(): string | undefined {
    return this.fileLost;
  }

  /** One stat per commit: the file at the path must still be the one the connection writes. */
  private assertOwnFile(): void {
    if (this.fileLost === undefined) {
      const now = statSync(this.path, { throwIfNoEntry: false });
      if (!now) this.loseFile("the database file was removed");
      else if (!sameFile(now, this.identity)) this.loseFile("the database file was replaced");
    }
    if (this.fileLost !== undefined) throw new Error(this.fileLost);
  }

  private walNow(): FileIdentity | undefined {
    const wal = statSync(`${this.path}-wal`, { throwIfNoEntry: false });
    return wal ? identityOf(wal) : undefined;
  }

  private loseFile(reason: string): void {
    if (this.fileLost !== undefined) return;
    this.fileLost = `${reason} (${this.path}); writes are refused until it is rebuilt`;
    this.log.setDegraded(true);
    this.options.onIncident?.(this.fileLost, { path: this.path });
  }

  private applyBusyTimeout(degraded: boolean): void {
    if (this.pendingRescue !== undefined) return;
    const ms = degraded ? 0 : Math.round(this.options.busyTimeoutMs);
    this.current.run(`PRAGMA busy_timeout = ${ms}`);
  }

  /** The watchdog's tick: check the write-ahead log too; while degraded, try to recover. */
  private watch(): void {
    try {
      if (this.fileLost === undefined) {
        const wal = this.walNow();
        if (this.walIdentity === undefined) this.walIdentity = wal;
        else if (!wal || !sameFile(wal, this.walIdentity)) {
          this.loseFile("the database's write-ahead log (-wal) was removed or replaced");
        }
      }
      if (this.log.degraded) this.probe();
    } catch {
      // Still cannot write: stay degraded and try again on the next tick.
    }
  }

  /**
   * Recovers if it can: rebuilds a lost file, then commits a small write that needs fresh pages
   * (so a full disk or a held lock fails it). Throws while the database still cannot write.
   */
  probe(): void {
    if (this.rescueFailed !== undefined) throw new Error(this.rescueFailed);
    if (this.fileLost !== undefined) this.rebuildFile();
    this.current.transaction(() => {
      this.current.run(
        "INSERT OR REPLACE INTO storage_probe (id, payload) VALUES (1, zeroblob(8192))",
      );
      this.current.run("DELETE FROM storage_probe");
    })();
    this.log.setDegraded(false);
  }

  /**
   * Someone put another file at the path: it is theirs, never overwritten. What this connection
   * holds would vanish with the process, so it is copied once beside it for the operator to keep.
   */
  private keepOrphan(): void {
    if (this.orphan !== undefined) return;
    const orphan = `${this.path}.orphaned-${timestamp()}`;
    this.current.query("VACUUM INTO ?").run(orphan);
    this.orphan = orphan;
    this.options.onIncident?.(
      "a different file is at the database path; Footfall will not write over it. What it had is saved beside it; restart Footfall to use the new file",
      { path: this.path, saved: orphan },
    );
  }

  /**
   * Copies everything committed (the open connection still reads the removed file) to a new file at
   * the path, then reopens there. A different file someone put at the path is never overwritten.
   *
   * Closing a connection to a deleted database leaves its -wal and -shm at the path's names: a log
   * of the old file that SQLite would apply to whatever next opens as footfall.db, corrupting it. So
   * the copy is written under a fresh name and checked, the stale -wal and -shm are moved aside, and
   * only then does the copy take the name; the reopened database is checked again before any write.
   */
  private rebuildFile(): void {
    if (this.pendingRescue === undefined) {
      const atPath = statSync(this.path, { throwIfNoEntry: false });
      if (atPath && !sameFile(atPath, this.identity)) {
        this.keepOrphan();
        throw new Error(`a different file is at ${this.path}: restart Footfall to use it`);
      }
      mkdirSync(this.options.dataDir, { recursive: true });
      const rescue = `${this.path}.rescue-${timestamp()}`;
      try {
        this.current.query("VACUUM INTO ?").run(rescue);
        const copy = new Database(rescue, { strict: true });
        try {
          checkIntegrity(copy, rescue, "integrity_check");
        } finally {
          copy.close();
        }
      } catch (error) {
        rmSync(rescue, { force: true });
        throw error;
      }
      this.current.close();
      this.pendingRescue = rescue;
    }
    if (statSync(this.path, { throwIfNoEntry: false })) {
      throw new Error(
        `a file appeared at ${this.path} during the rebuild; the copy is kept at ${this.pendingRescue}`,
      );
    }
    const stale = this.moveStaleLogAside();
    renameSync(this.pendingRescue, this.path);
    this.pendingRescue = undefined;
    let db: Database;
    try {
      db = openDatabase(this.options.dataDir, this.options.durability, 0, "integrity_check");
    } catch (error) {
      // Nothing left to copy from: writes stay refused until an operator steps in.
      this.rescueFailed = `the rebuilt database failed its check: ${(error as Error).message}`;
      this.options.onIncident?.(this.rescueFailed, { path: this.path, stale });
      throw error;
    }
    // Everything they held is in the copy, which has just been checked.
    for (const file of stale) rmSync(file, { force: true });
    this.current = db;
    this.identity = identityOf(statSync(this.path));
    this.walIdentity = this.walNow();
    this.log.attach(db);
    this.history.attach(db);
    this.fileLost = undefined;
    this.options.onIncident?.(
      "the database file was rebuilt from the open connection and passed its integrity check",
      { path: this.path },
    );
  }

  /** The -wal and -shm the closed connection left behind, renamed so no open of the path reads them. */
  private moveStaleLogAside(): string[] {
    const moved: string[] = [];
    for (const suffix of ["-wal", "-shm"]) {
      const file = `${this.path}${suffix}`;
      if (!statSync(file, { throwIfNoEntry: false })) continue;
      const aside = `${file}.stale-${timestamp()}`;
      renameSync(file, aside);
      moved.push(aside);
    }
    return moved;
  }

  /**
   * The newest snapshot, its long arrays joined back from their parts one part at a time. Snapshots
   * written before parts existed have none to join.
   */
  latestSnapshot(): { lastEventId: number; state: LiveState } | undefined {
    const row = this.current
      .query("SELECT id, last_event_id, state, parts FROM snapshots ORDER BY id DESC LIMIT 1")
      .get() as { id: number; last_event_id: number; state: string; parts: string | null } | null;
    if (!row) return undefined;
    const readParts = this.current.query(
      "SELECT json FROM snapshot_parts WHERE snapshot_id = ? AND array_id = ? ORDER BY seq",
    );
    const arrays = row.parts === null ? [] : (JSON.parse(row.parts) as SplitArray[]);
    const state = joinValue(row.state, arrays, function* (arrayId) {
      for (const part of readParts.iterate(row.id, arrayId) as IterableIterator<{ json: string }>) {
        yield part.json;
      }
    }) as LiveState;
    this.lastSnapshotEventId = row.last_event_id;
    this.restoredAlerts = state.alerts;
    this.lastSnapshotAlerts = JSON.stringify(state.alerts ?? null);
    return { lastEventId: row.last_event_id, state };
  }

  /**
   * Saves the live state as of the last committed event, with the ended sessions still waiting to be
   * archived in the same transaction (the replay after this snapshot would not end them again).
   * Callers take it between event-loop turns, when every committed event has been applied (the bus
   * runs right after each commit). Skipped when no event and no alert state changed since the last.
   */
  saveSnapshot(state: LiveState, now: number): boolean {
    const lastEventId = this.log.lastId();
    const alerts = JSON.stringify(state.alerts ?? null);
    if (lastEventId === this.lastSnapshotEventId && alerts === this.lastSnapshotAlerts) {
      return false;
    }
    const ended = this.endedSessions;
    this.endedSessions = [];
    try {
      // Header and parts in one transaction: a crash leaves the previous snapshot whole.
      this.current.transaction(() => {
        this.writeEndedSessions(ended);
        this.writeSnapshot(state, now, lastEventId);
      })();
    } catch (error) {
      this.endedSessions = ended.concat(this.endedSessions);
      throw error;
    }
    this.lastSnapshotEventId = lastEventId;
    this.lastSnapshotAlerts = alerts;
    return true;
  }

  /**
   * Each part is stringified just before it is inserted, so one part's text is alive at a time,
   * never the whole state's. The parts need the snapshot's id before its header row exists: the
   * next id is taken inside the transaction, which no other writer can enter.
   */
  private writeSnapshot(state: LiveState, now: number, lastEventId: number): void {
    const { next } = this.current
      .query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM snapshots")
      .get() as { next: number };
    // Parts no snapshot owns (their snapshot rows deleted by hand) must not collide with these.
    this.current.query("DELETE FROM snapshot_parts WHERE snapshot_id >= ?").run(next);
    const insertPart = this.current.query(
      "INSERT INTO snapshot_parts (snapshot_id, array_id, seq, json) VALUES (?, ?, ?, ?)",
    );
    const { header, arrays } = splitValue(
      state,
      this.options.snapshotPartSize ?? SNAPSHOT_PART_SIZE,
      (arrayId, seq, json) => insertPart.run(next, arrayId, seq, json),
    );
    this.current
      .query(
        "INSERT INTO snapshots (id, created_at, last_event_id, state, parts) VALUES (?, ?, ?, ?, ?)",
      )
      .run(next, now, lastEventId, header, arrays.length > 0 ? JSON.stringify(arrays) : null);
  }

  recordEndedSession(session: SessionView, reason: SessionEndReason, endedAt: number): void {
    this.endedSessions.push({ session, reason, endedAt });
  }

  /** Writes ended sessions in one transaction (called on a timer and at shutdown). */
  flushEndedSessions(): void {
    if (this.endedSessions.length === 0) return;
    const batch = this.endedSessions;
    this.endedSessions = [];
    try {
      this.current.transaction(() => this.writeEndedSessions(batch))();
    } catch (error) {
      // Kept for the next attempt: a failed write must not lose them.
      this.endedSessions = batch.concat(this.endedSessions);
      throw error;
    }
  }

  private writeEndedSessions(batch: readonly EndedSession[]): void {
    if (batch.length === 0) return;
    const insert = this.current.query(
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

  /**
   * Housekeeping: roll up finished days, then delete raw events older than RETENTION_DAYS (only
   * those a snapshot already covers, so the live state never needs them again), and old snapshots.
   */
  cleanup(now: number): { rolledUp: string[]; deletedEvents: number } {
    const rolledUp = this.history.rollUpCompletedDays(now);
    const cutoff = now - this.options.retentionDays * DAY_MS;
    const deleted = this.current
      .query("DELETE FROM events WHERE received_at < ? AND id <= ?")
      .run(cutoff, Math.max(this.lastSnapshotEventId, 0));
    this.current
      .query(
        `DELETE FROM snapshots WHERE id NOT IN (SELECT id FROM snapshots ORDER BY id DESC LIMIT ${SNAPSHOTS_KEPT})`,
      )
      .run();
    // Also any parts a snapshot deleted earlier left behind (cleanup is not one transaction).
    this.current
      .query("DELETE FROM snapshot_parts WHERE snapshot_id NOT IN (SELECT id FROM snapshots)")
      .run();
    return { rolledUp, deletedEvents: deleted.changes };
  }

  /** A consistent copy of the database while running (SQLite's VACUUM INTO). */
  backupTo(file: string): void {
    this.current.query("VACUUM INTO ?").run(file);
  }

  close(): void {
    clearInterval(this.watchdog);
    try {
      this.log.commit();
      this.flushEndedSessions();
    } finally {
      this.current.close();
    }
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

function identityOf(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

function sameFile(stats: FileIdentity, identity: FileIdentity): boolean {
  return stats.dev === identity.dev && stats.ino === identity.ino;
}
