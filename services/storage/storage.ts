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
import { SnapshotSupersededError, Snapshots, type SnapshotTurns } from "./snapshots.ts";

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
  /** How long a snapshot written in turns works before letting the event loop run (ms). */
  snapshotSliceMs?: number;
}

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
  private readonly snapshots: Snapshots;
  private snapshotInProgress = false;
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
    this.snapshots = new Snapshots(() => this.current, {
      partSize: options.snapshotPartSize,
      sliceMs: options.snapshotSliceMs,
    });
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

  /** The newest snapshot (start-up restores from it). */
  latestSnapshot(): { lastEventId: number; state: LiveState } | undefined {
    const latest = this.snapshots.latest();
    if (!latest) return undefined;
    const state = latest.state as LiveState;
    this.lastSnapshotEventId = latest.lastEventId;
    this.restoredAlerts = state.alerts;
    this.lastSnapshotAlerts = JSON.stringify(state.alerts ?? null);
    return { lastEventId: latest.lastEventId, state };
  }

  /**
   * Saves the live state as of the last committed event, at once, in one transaction (shutdown uses
   * it; it stops any snapshot being written in turns), with the ended sessions still waiting to be
   * archived (the replay after this snapshot would not end them again). Callers take it between
   * event-loop turns, when every committed event has been applied (the bus runs right after each
   * commit). Skipped when no event and no alert state changed since the last.
   */
  saveSnapshot(state: LiveState, now: number): boolean {
    const lastEventId = this.log.lastId();
    const alerts = JSON.stringify(state.alerts ?? null);
    if (this.snapshotUnchanged(lastEventId, alerts)) return false;
    const ended = this.endedSessions;
    this.endedSessions = [];
    try {
      this.snapshots.saveNow(state, now, lastEventId, () => this.writeEndedSessions(ended));
    } catch (error) {
      this.endedSessions = ended.concat(this.endedSessions);
      throw error;
    }
    this.lastSnapshotEventId = lastEventId;
    this.lastSnapshotAlerts = alerts;
    return true;
  }

  /**
   * As `saveSnapshot`, spread over event-loop turns so a large state never holds the loop for long:
   * `state` must be a copy nothing changes meanwhile, taken (as the last event id is, here) between
   * turns. Resolves false when skipped (nothing changed, one already in progress, or superseded by a
   * newer one or a rebuilt or closed database). The ended sessions recorded until the final
   * transaction are written in it.
   */
  async saveSnapshotInTurns(
    state: LiveState,
    now: number,
    turns?: SnapshotTurns,
  ): Promise<boolean> {
    const lastEventId = this.log.lastId();
    const alerts = JSON.stringify(state.alerts ?? null);
    if (this.snapshotInProgress || this.snapshotUnchanged(lastEventId, alerts)) return false;
    this.snapshotInProgress = true;
    let ended: EndedSession[] = [];
    try {
      await this.snapshots.saveInTurns(
        state,
        now,
        lastEventId,
        () => {
          ended = this.endedSessions;
          this.endedSessions = [];
          this.writeEndedSessions(ended);
        },
        turns,
      );
    } catch (error) {
      this.endedSessions = ended.concat(this.endedSessions);
      if (error instanceof SnapshotSupersededError) return false;
      throw error;
    } finally {
      this.snapshotInProgress = false;
    }
    this.lastSnapshotEventId = lastEventId;
    this.lastSnapshotAlerts = alerts;
    return true;
  }

  private snapshotUnchanged(lastEventId: number, alerts: string): boolean {
    return lastEventId === this.lastSnapshotEventId && alerts === this.lastSnapshotAlerts;
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
   * those a snapshot already covers, so the live state never needs them again). Old snapshots are
   * deleted by the transaction that writes the next one.
   */
  cleanup(now: number): { rolledUp: string[]; deletedEvents: number } {
    const rolledUp = this.history.rollUpCompletedDays(now);
    const cutoff = now - this.options.retentionDays * DAY_MS;
    const deleted = this.current
      .query("DELETE FROM events WHERE received_at < ? AND id <= ?")
      .run(cutoff, Math.max(this.lastSnapshotEventId, 0));
    return { rolledUp, deletedEvents: deleted.changes };
  }

  /** A consistent copy of the database while running (SQLite's VACUUM INTO). */
  backupTo(file: string): void {
    this.current.query("VACUUM INTO ?").run(file);
  }

  close(): void {
    clearInterval(this.watchdog);
    this.snapshots.cancel();
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
