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

export interface SnapshotOptions {
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
      this.commit(db, id, now, lastEventId, step.value);
    })();
  }

  /**
   * Writes `state` over several event-loop turns: it must not change meanwhile (pass a copy).
   * Resolves once the final transaction committed; rejects with SnapshotSupersededError if a newer
   * snapshot started or the database was replaced or closed meanwhile, having written nothing that
   * a later snapshot does not delete.
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
    const current = () => {
      if (generation !== this.generation || this.database() !== db) {
        throw new SnapshotSupersededError();
      }
    };
    const id = this.stage(db);
    const insert = this.insertPart(db, id);
    const sliceMs = turns.sliceMs ?? this.options.sliceMs ?? SNAPSHOT_SLICE_MS;
    const steps = splitValueInSteps(state, this.partSize());
    let sliceStarted = performance.now();
    let step = steps.next();
    for (; !step.done; step = steps.next()) {
      // Each part in its own short transaction: staged, invisible until the header commits.
      if (step.value) insert(step.value);
      if (performance.now() - sliceStarted >= sliceMs) {
        await nextTurn();
        current();
        sliceStarted = performance.now();
      }
    }
    const split = step.value;
    await nextTurn();
    current();
    db.transaction(() => {
      alongside();
      this.commit(db, id, now, lastEventId, split);
    })();
  }

  /** Stops a snapshot being written in turns (the database is closing). */
  cancel(): void {
    this.generation++;
  }

  private partSize(): number {
    return this.options.partSize ?? SNAPSHOT_PART_SIZE;
  }

  /**
   * The next snapshot's id, with any parts already under it or above (staged by a snapshot that
   * never committed) deleted. The parts need the id before the header row exists.
   */
  private stage(db: Database): number {
    const { next } = db.query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM snapshots").get() as {
      next: number;
    };
    db.query("DELETE FROM snapshot_parts WHERE snapshot_id >= ?").run(next);
    return next;
  }

  private insertPart(db: Database, id: number): (part: SnapshotPart) => void {
    const statement = db.query(
      "INSERT INTO snapshot_parts (snapshot_id, array_id, seq, json) VALUES (?, ?, ?, ?)",
    );
    return ({ arrayId, seq, json }) => statement.run(id, arrayId, seq, json);
  }

  /** The header, and every older snapshot deleted with its parts: run inside a transaction. */
  private commit(db: Database, id: number, now: number, lastEventId: number, split: SplitValue) {
    const { header, arrays } = split;
    db.query(
      "INSERT INTO snapshots (id, created_at, last_event_id, state, parts) VALUES (?, ?, ?, ?, ?)",
    ).run(id, now, lastEventId, header, arrays.length > 0 ? JSON.stringify(arrays) : null);
    db.query("DELETE FROM snapshots WHERE id < ?").run(id);
    db.query("DELETE FROM snapshot_parts WHERE snapshot_id < ?").run(id);
  }
}
