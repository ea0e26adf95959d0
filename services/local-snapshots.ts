import type { Clock } from "./clock.ts";
import type { Logger } from "./logger.ts";
import type { Pipeline } from "./pipeline/pipeline.ts";
import type { SnapshotTurns } from "./storage/snapshots.ts";
import type { Storage } from "./storage/storage.ts";

/** A single process's snapshots of the pipeline's state into SQLite: at once, or over many turns. */
export class LocalSnapshots {
  /** Releases the pipeline held by a snapshot in turns, if one is reading the state. */
  private releaseHold: (() => void) | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly database: Storage,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  private position() {
    return { position: this.pipeline.position, ticked: this.pipeline.tickedState() };
  }

  /** At once, in one transaction: what the held pipeline kept goes in (a snapshot in turns then stops, superseded). */
  saveNow(): void {
    try {
      this.releaseHold?.();
      this.database.saveSnapshot(this.pipeline.exportState(), this.clock.now(), this.position());
    } catch (err) {
      this.logger.error({ err }, "snapshot failed");
    }
  }

  /**
   * Written over many turns while events keep arriving: the pipeline is held (commits are durable
   * and answered, applied once released; ticks wait too) while the state is serialised a slice a
   * turn, straight from the live objects, so it saves exactly what the last applied event left
   * without a copy of it; SQLite then writes the parts with the pipeline running again. Resolves
   * false when skipped or when it failed (logged).
   */
  async saveInTurns(turns: SnapshotTurns = {}): Promise<boolean> {
    if (this.releaseHold) return false;
    const release = this.pipeline.hold();
    const releaseOurs = () => {
      if (this.releaseHold === releaseOurs) this.releaseHold = undefined;
      release();
    };
    this.releaseHold = releaseOurs;
    try {
      const save = this.position();
      const state = this.pipeline.exportState(true);
      const read = () => {
        releaseOurs();
        turns.read?.();
      };
      return await this.database.saveSnapshotInTurns(
        state,
        this.clock.now(),
        { ...turns, read },
        save,
      );
    } catch (err) {
      this.logger.error({ err }, "snapshot failed");
      return false;
    } finally {
      // Skipped, superseded or failed before the state was read: released all the same.
      releaseOurs();
    }
  }
}
