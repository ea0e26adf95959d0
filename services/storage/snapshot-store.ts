import type { EndedSessionRecord, SessionArchive } from "./session-archive.ts";
import { SnapshotSupersededError, type Snapshots, type SnapshotTurns } from "./snapshots.ts";

/** A snapshot's state is opaque here: what the caller saved is what it restores. */
export interface SavedSnapshot {
  position: number;
  state: unknown;
}

export interface SnapshotSave {
  /** The log position the state reflects (default: the log's last). */
  position?: number;
  /**
   * The part of the state that changes without events, as a string: the save is skipped when it
   * and the position are as last saved. Absent: always saved.
   */
  ticked?: string;
}

/**
 * Saves and restores snapshots of the live state with the ended sessions still waiting to be
 * archived, written in the same transaction. Skips a save when nothing changed since the last.
 */
export class SnapshotStore {
  private savedPosition = -1;
  private savedTicked: string | undefined;
  private inTurns = false;

  constructor(
    private readonly snapshots: Snapshots,
    private readonly archive: SessionArchive,
    private readonly lastPosition: () => number,
  ) {}

  /** The position the newest snapshot covers (-1 before any): the log before it may go. */
  get position(): number {
    return this.savedPosition;
  }

  latest(): SavedSnapshot | undefined {
    const latest = this.snapshots.latest();
    if (!latest) return undefined;
    this.savedPosition = latest.lastEventId;
    return { position: latest.lastEventId, state: latest.state };
  }

  /** At once, in one transaction (it stops any snapshot being written in turns). */
  saveNow(state: unknown, now: number, save: SnapshotSave = {}): boolean {
    const position = save.position ?? this.lastPosition();
    if (this.unchanged(position, save.ticked)) return false;
    this.archive.writeWithin((ended) =>
      this.snapshots.saveNow(state, now, position, () => this.archive.write(ended)),
    );
    this.saved(position, save.ticked);
    return true;
  }

  /**
   * Over event-loop turns: `state` must not change until `turns.read` is called. Resolves false when skipped (nothing
   * changed, one already in progress, or superseded by a newer one or a rebuilt or closed database).
   */
  async saveInTurns(
    state: unknown,
    now: number,
    turns?: SnapshotTurns,
    save: SnapshotSave = {},
  ): Promise<boolean> {
    const position = save.position ?? this.lastPosition();
    if (this.inTurns || this.unchanged(position, save.ticked)) return false;
    this.inTurns = true;
    let ended: EndedSessionRecord[] = [];
    try {
      // Taken in the final transaction: those recorded until then go in it.
      const alongside = () => {
        ended = this.archive.take();
        this.archive.write(ended);
      };
      await this.snapshots.saveInTurns(state, now, position, alongside, turns);
    } catch (error) {
      this.archive.putBack(ended);
      if (error instanceof SnapshotSupersededError) return false;
      throw error;
    } finally {
      this.inTurns = false;
    }
    this.saved(position, save.ticked);
    return true;
  }

  private unchanged(position: number, ticked: string | undefined): boolean {
    return ticked !== undefined && position === this.savedPosition && ticked === this.savedTicked;
  }

  private saved(position: number, ticked: string | undefined): void {
    this.savedPosition = position;
    this.savedTicked = ticked;
  }
}
