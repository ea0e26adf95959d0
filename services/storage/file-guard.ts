import { Database } from "bun:sqlite";
import { mkdirSync, renameSync, rmSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { checkIntegrity, DATABASE_FILE, type Durability, openDatabase } from "./database.ts";
import type { SqliteEventLog } from "./event-log.ts";

export interface FileGuardOptions {
  dataDir: string;
  durability: Durability;
  busyTimeoutMs: number;
  /** Told when the database file was lost and when it was rebuilt (for the log). */
  onIncident?: (message: string, details: Record<string, unknown>) => void;
}

interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Guards the promise that an acknowledgement means durable. SQLite keeps writing into a database
 * file that was deleted (the open descriptor outlives the name), so before every commit the file at
 * the path must still be the one opened; if not, commits are refused (503) and the watchdog
 * rebuilds the file at its path from the open connection, which still reads everything committed.
 * While degraded the watchdog probes a small write, so health recovers without traffic, and the
 * busy timeout drops to zero, so a locked database stalls the event loop once, not on every commit.
 */
export class DatabaseFileGuard {
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

  constructor(
    db: Database,
    private readonly options: FileGuardOptions,
    private readonly log: SqliteEventLog,
    /** Told of the connection to a rebuilt file: everything else uses it from then on. */
    private readonly reopened: (db: Database) => void,
  ) {
    this.current = db;
    this.path = join(options.dataDir, DATABASE_FILE);
    this.identity = identityOf(statSync(this.path));
    this.walIdentity = this.walNow();
    log.setGuard(() => this.assertOwnFile());
    log.onDegradedChange((degraded) => this.applyBusyTimeout(degraded));
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
  assertOwnFile(): void {
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

  /** The watchdog's tick: check the write-ahead log too; while degraded, try to recover (`probe`). */
  watch(probe: () => void = () => this.probe()): void {
    try {
      if (this.fileLost === undefined) {
        const wal = this.walNow();
        if (this.walIdentity === undefined) this.walIdentity = wal;
        else if (!wal || !sameFile(wal, this.walIdentity)) {
          this.loseFile("the database's write-ahead log (-wal) was removed or replaced");
        }
      }
      if (this.log.degraded) probe();
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
    this.reopened(db);
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
