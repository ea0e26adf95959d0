import type { Database } from "bun:sqlite";
import {
  joinValue,
  SNAPSHOT_PART_SIZE,
  type SnapshotPart,
  type SplitArray,
  type SplitValue,
  splitValueInSteps,
} from "./snapshot-parts.ts";

/** Work done in one event-loop turn while a snapshot is written in turns, before the next turn. */
export const SNAPSHOT_SLICE_MS = 8;

/**
 * Characters of parts staged between two WAL checkpoints of a snapshot written in turns: about 2 MB,
 * which SQLite copies into the database file in a few ms.
 */
export const SNAPSHOT_CHECKPOINT_CHARS = 2_000_000;

export interface SnapshotOptions {
  /** Characters of parts staged between WAL checkpoints (tests make it small). */
  checkpointChars?: number;
  /** Elements per part: longer arrays of the state are written in parts of at most this many. */
  partSize?: number;
  /** Serialising and inserting parts stops for the next event-loop turn after this long (ms). */
  sliceMs?: number;
}

/** How a snapshot written in turns gives way: tests observe or pace it. */
export interface SnapshotTurns {
  /** Waits for the next event-loop turn (setImmediate by default). */
  nextTurn?: () => Promise<void>;
  /** Overrides the storage's slice length (ms). */
  sliceMs?: number;
  /**
   * Called once the state has been read whole (every part made, before the first is stored): it may
   * change from then on. Not called when the snapshot stops before.
   */
  read?: () => void;
}

/** Why a snapshot written in turns stopped without saving: a newer one, or a closed database. */
export class SnapshotSupersededError extends Error {
  constructor() {
    super("a newer snapshot or a closed database superseded this one");
    this.name = "SnapshotSupersededError";
  }
}

/**
 * The live-state snapshots: a small header row in `snapshots`, its long arrays in `snapshot_parts`.
 * Only the latest snapshot is kept: the transaction that writes a header deletes every older one
 * with its parts, so while a snapshot is being written the previous one is still whole, and after
 * it commits it is the only one.
 *
 * A snapshot is written either at once, in one transaction (at shutdown), or in turns: its parts
 * are staged under the next id a slice at a time, between event-loop turns, and the header, the
 * caller's own writes and the deletion of older snapshots go in one short final transaction. A crash
 * before that leaves staged parts no header points to; the next snapshot deletes them first.
 */
export class Snapshots {
  /** Bumped by every snapshot started and by close: one written in turns stops when it changes. */
  private generation = 0;
  /** Snapshots being written in turns, and SQLite's checkpoint threshold they turned off. */
  private writingInTurns = 0;
  private automaticCheckpointPages = 1000;

  constructor(
    private readonly database: () => Database,
    private readonly options: SnapshotOptions = {},
  ) {}

  /** The newest snapshot, its long arrays joined back from their parts one part at a time. */
  latest(): { lastEventId: number; state: unknown } | undefined {
    const db = this.database();
    const row = db
      .query("SELECT id, last_event_id, state, parts FROM snapshots ORDER BY id DESC LIMIT 1")
      .get() as { id: number; last_event_id: number; state: string; parts: string | null } | null;
    if (!row) return undefined;
    const readParts = db.query(
      "SELECT json FROM snapshot_parts WHERE snapshot_id = ? AND array_id = ? ORDER BY seq",
    );
    // Snapshots written before parts existed have none to join.
    const arrays = row.parts === null ? [] : (JSON.parse(row.parts) as SplitArray[]);
    const state = joinValue(row.state, arrays, function* (arrayId) {
      for (const part of readParts.iterate(row.id, arrayId) as IterableIterator<{ json: string }>) {
        yield part.json;
      }
    });
    return { lastEventId: row.last_event_id, state };
  }

  /**
   * Writes `state` in one transaction, with `alongside` (the caller's writes that belong with it).
   * Each part is stringified just before it is inserted, so one part's text is alive at a time.
   */
  saveNow(state: unknown, now: number, lastEventId: number, alongside: () => void): void {
    this.generation++;
    const db = this.database();
    db.transaction(() => {
      const id = this.stage(db);
      const steps = splitValueInSteps(state, this.partSize());
      const insert = this.insertPart(db, id);
      let step = steps.next();
      for (; !step.done; step = steps.next()) if (step.value) insert(step.value);
      alongside();
      this.commit(db, id, now, lastEventId, step.value, true);
    })();
  }

  /**
   * Writes `state` over several event-loop turns: first every part is made, a slice a turn, from the
   * state, which must not change until `turns.read` is called; then they are stored. Resolves once the final transaction committed and the older snapshot's parts are gone; rejects
   * with SnapshotSupersededError if a newer snapshot started or the database was replaced or closed
   * before the final transaction, having written nothing that a later snapshot does not delete.
   *
   * The WAL is checkpointed here, a few MB at a time in a turn of its own: SQLite's automatic
   * checkpoint would otherwise copy (and sync) 4 MB of parts inside whichever insert crossed the
   * threshold, and the older snapshot's parts are deleted after the header commits, a few rows a
   * turn, as deleting megabytes of overflow pages in the final transaction would hold the loop too.
   */
  async saveInTurns(
    state: unknown,
    now: number,
    lastEventId: number,
    alongside: () => void,
    turns: SnapshotTurns = {},
  ): Promise<void> {
    const nextTurn =
      turns.nextTurn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    const generation = ++this.generation;
    const db = this.database();
    const superseded = () => generation !== this.generation || this.database() !== db;
    const current = () => {
      if (superseded()) throw new SnapshotSupersededError();
    };
    const sliceMs = turns.sliceMs ?? this.options.sliceMs ?? SNAPSHOT_SLICE_MS;
    const checkpointChars = this.options.checkpointChars ?? SNAPSHOT_CHECKPOINT_CHARS;
    let sliceStarted = performance.now();
    /** Lets the loop run if this slice is used up (or now, when `force`). */
    const yieldIfDue = async (force = false) => {
      if (!force && performance.now() - sliceStarted < sliceMs) return;
      await nextTurn();
      current();
      sliceStarted = performance.now();
    };
    let uncheckpointed = 0;
    const checkpointInOwnTurn = async () => {
      await yieldIfDue(true);
      checkpoint(db);
      uncheckpointed = 0;
      await yieldIfDue(true);
    };
    if (this.writingInTurns++ === 0) this.automaticCheckpointPages = pauseAutoCheckpoint(db);
    try {
      const id = this.stage(db);
      const insert = this.insertPart(db, id);
      // The state is read first, and only then stored: the caller holds it still for as short a
      // time as serialising takes, not while SQLite writes and checkpoints (several times longer).
      // The parts' text is then the only copy of the state, each let go once stored.
      const parts: (SnapshotPart | undefined)[] = [];
      const steps = splitValueInSteps(state, this.partSize());
      let step = steps.next();
      for (; !step.done; step = steps.next()) {
        if (step.value) parts.push(step.value);
        await yieldIfDue();
      }
      const split = step.value;
      turns.read?.();
      for (let index = 0; index < parts.length; index++) {
        const part = parts[index] as SnapshotPart;
        parts[index] = undefined;
        // Each part in its own short transaction: staged, invisible until the header commits.
        insert(part);
        uncheckpointed += part.json.length;
        if (uncheckpointed >= checkpointChars) await checkpointInOwnTurn();
        await yieldIfDue();
      }
      await yieldIfDue(true);
      db.transaction(() => {
        alongside();
        this.commit(db, id, now, lastEventId, split, false);
      })();
      // Saved. What follows is tidying: if superseded, the next snapshot's stage finishes it.
      const deleteOlderPart = db.query(
        "DELETE FROM snapshot_parts WHERE rowid IN (SELECT rowid FROM snapshot_parts WHERE snapshot_id < ? LIMIT 1)",
      );
      while (!superseded() && deleteOlderPart.run(id).changes > 0) {
        if (performance.now() - sliceStarted >= sliceMs) {
          await nextTurn();
          sliceStarted = performance.now();
        }
      }
      if (!superseded()) {
        await nextTurn();
        if (!superseded()) checkpoint(db);
      }
    } finally {
      // The last one running (a superseded one may still be finishing) turns it back on.
      if (--this.writingInTurns === 0) restoreAutoCheckpoint(db, this.automaticCheckpointPages);
    }
  }

  /** Stops a snapshot being written in turns (the database is closing). */
  cancel(): void {
    this.generation++;
  }

  private partSize(): number {
    return this.options.partSize ?? SNAPSHOT_PART_SIZE;
  }

  /**
   * The next snapshot's id, with every part no header points to deleted: those staged by a snapshot
   * that never committed, and those of an older snapshot whose deletion a crash or a newer snapshot
   * interrupted. The parts need the id before the header row exists.
   */
  private stage(db: Database): number {
    const { next } = db.query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM snapshots").get() as {
      next: number;
    };
    db.query(
      "DELETE FROM snapshot_parts WHERE snapshot_id NOT IN (SELECT id FROM snapshots)",
    ).run();
    return next;
  }

  private insertPart(db: Database, id: number): (part: SnapshotPart) => void {
    const statement = db.query(
      "INSERT INTO snapshot_parts (snapshot_id, array_id, seq, json) VALUES (?, ?, ?, ?)",
    );
    return ({ arrayId, seq, json }) => statement.run(id, arrayId, seq, json);
  }

  /**
   * The header, and every older header deleted (with their parts when `withParts`; otherwise the
   * caller deletes the parts after): run inside a transaction. Parts without a header are never read.
   */
  private commit(
    db: Database,
    id: number,
    now: number,
    lastEventId: number,
    split: SplitValue,
    withParts: boolean,
  ) {
    const { header, arrays } = split;
    db.query(
      "INSERT INTO snapshots (id, created_at, last_event_id, state, parts) VALUES (?, ?, ?, ?, ?)",
    ).run(id, now, lastEventId, header, arrays.length > 0 ? JSON.stringify(arrays) : null);
    db.query("DELETE FROM snapshots WHERE id < ?").run(id);
    if (withParts) db.query("DELETE FROM snapshot_parts WHERE snapshot_id < ?").run(id);
  }
}

/** Turns SQLite's automatic checkpoint off for this connection; returns its page threshold. */
function pauseAutoCheckpoint(db: Database): number {
  const row = db.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number } | null;
  db.run("PRAGMA wal_autocheckpoint = 0");
  return row?.wal_autocheckpoint ?? 1000;
}

function restoreAutoCheckpoint(db: Database, pages: number): void {
  try {
    db.run(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.trunc(pages))}`);
  } catch {
    // A closed connection has no setting left to restore; a reopened one starts with SQLite's.
  }
}

/** Copies what it can of the WAL into the database file without waiting for readers or writers. */
function checkpoint(db: Database): void {
  db.run("PRAGMA wal_checkpoint(PASSIVE)");
}
