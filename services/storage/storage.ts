import type { Database } from "bun:sqlite";
import { type Durability, openDatabase } from "./database.ts";
import { SqliteEventLog } from "./event-log.ts";
import { DatabaseFileGuard } from "./file-guard.ts";
import { DAY_MS, History } from "./history.ts";
import { QueryEventsCopy } from "./query-events.ts";
import { applyRetention } from "./retention.ts";
import { type EndedSessionRecord, SessionArchive, type VisitRecord } from "./session-archive.ts";
import { type SavedSnapshot, type SnapshotSave, SnapshotStore } from "./snapshot-store.ts";
import { Snapshots, type SnapshotTurns } from "./snapshots.ts";

/** How often the watchdog checks the database's files and, while degraded, probes a write. */
export const PROBE_INTERVAL_MS = 250;

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
  /** Distinct values a custom event property keeps per site and UTC day; beyond: `(other)`. */
  propValuesPerDay?: number;
}

/**
 * Footfall's embedded durable store on bun:sqlite, one file in DATA_DIR: the event log (the
 * source of truth), snapshots of the live state (so a restart replays only what came after the
 * last one), archived sessions and the history answered from them and the events, all behind the
 * file guard (file-guard.ts).
 */
export class Storage {
  readonly log: SqliteEventLog;
  readonly history: History;
  readonly archive: SessionArchive;
  /** The query endpoint's table of the events, copied from the log off the hot path. */
  readonly queryEvents: QueryEventsCopy;
  private readonly guard: DatabaseFileGuard;
  private readonly snapshotStore: SnapshotStore;
  private readonly snapshots: Snapshots;
  private readonly watchdog: ReturnType<typeof setInterval>;

  private constructor(
    db: Database,
    private readonly options: StorageOptions,
  ) {
    this.log = new SqliteEventLog(db, options.propValuesPerDay);
    this.history = new History(db, options.retentionDays * DAY_MS);
    this.guard = new DatabaseFileGuard(db, options, this.log, (reopened) => {
      this.log.attach(reopened);
      this.history.attach(reopened);
    });
    this.archive = new SessionArchive(() => this.guard.db);
    this.queryEvents = new QueryEventsCopy(() => this.guard.db);
    this.snapshots = new Snapshots(() => this.guard.db, {
      partSize: options.snapshotPartSize,
      sliceMs: options.snapshotSliceMs,
    });
    this.snapshotStore = new SnapshotStore(this.snapshots, this.archive, () =>
      this.log.lastPosition(),
    );
    const probeMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
    this.watchdog = setInterval(() => this.guard.watch(() => this.probe()), probeMs);
    this.watchdog.unref?.();
  }

  static open(options: StorageOptions): Storage {
    return new Storage(
      openDatabase(options.dataDir, options.durability, options.busyTimeoutMs),
      options,
    );
  }

  /** The open connection (replaced when a removed database file is rebuilt). */
  get db(): Database {
    return this.guard.db;
  }

  /** Why writes are refused because of the file itself, if they are. */
  get fileProblem(): string | undefined {
    return this.guard.fileProblem;
  }

  /** Recovers if it can (see DatabaseFileGuard.probe); throws while the database cannot write. */
  probe(): void {
    this.guard.probe();
  }

  /** The newest snapshot (start-up restores from it). */
  latestSnapshot(): SavedSnapshot | undefined {
    return this.snapshotStore.latest();
  }

  /** Saves a snapshot at once, in one transaction; false when nothing changed since the last. */
  saveSnapshot(state: unknown, now: number, save?: SnapshotSave): boolean {
    return this.snapshotStore.saveNow(state, now, save);
  }

  /** As `saveSnapshot`, over event-loop turns: `state` must not change meanwhile. */
  saveSnapshotInTurns(
    state: unknown,
    now: number,
    turns?: SnapshotTurns,
    save?: SnapshotSave,
  ): Promise<boolean> {
    return this.snapshotStore.saveInTurns(state, now, turns, save);
  }

  recordEndedSession(ended: EndedSessionRecord): void {
    this.archive.record(ended);
  }

  /** Upserts visits (active sessions as they stand) in one transaction. */
  writeVisits(visits: readonly VisitRecord[]): void {
    if (visits.length === 0) return;
    const db = this.db;
    db.transaction(() => this.archive.writeVisits(visits))();
  }

  /** Writes ended sessions in one transaction (called on a timer and at shutdown). */
  flushEndedSessions(): void {
    this.archive.flush();
  }

  /** As flushEndedSessions, a slice a turn (the timer's way: a mass time-out writes no long transaction). */
  async flushEndedSessionsInSlices(slice = 2_000): Promise<void> {
    for (let turns = Math.ceil(this.archive.pending / slice); turns > 0; turns--) {
      this.archive.flush(slice);
      if (turns > 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  cleanup(now: number): { rolledUp: string[]; deletedEvents: number } {
    const { db, history, options, snapshotStore } = this;
    return applyRetention(db, history, now, options.retentionDays, snapshotStore.position);
  }

  /** A consistent copy of the database while running (SQLite's VACUUM INTO). */
  backupTo(file: string): void {
    this.db.query("VACUUM INTO ?").run(file);
  }

  close(): void {
    clearInterval(this.watchdog);
    this.snapshots.cancel();
    try {
      this.log.commit();
      this.flushEndedSessions();
    } finally {
      this.db.close();
    }
  }
}
