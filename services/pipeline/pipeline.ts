import type { CommittedEvent, EventLog } from "./event-log.ts";
import type { EventStep, Projection, Reaction, Step } from "./step.ts";

export type { EventStep, Projection, Reaction, Step } from "./step.ts";

export type PipelineErrorHandler = (stage: string, error: unknown) => void;

/**
 * The one path of a committed event: every projection, in list order, then every reaction. Replay
 * at start-up runs the same projections, without reactions. Ticks take the same path.
 */
export class Pipeline {
  private readonly reactions: Reaction[] = [];
  private appliedPosition = 0;
  private held: CommittedEvent[][] | undefined;
  /** The latest tick that came while held: it runs on release, after the held commits. */
  private heldTick: number | undefined;
  private readonly releaseWaiters: (() => void)[] = [];

  constructor(
    private readonly projections: readonly Projection[],
    private readonly onError: PipelineErrorHandler,
  ) {}

  /** Follows the log: each commit is applied before its appends resolve. */
  follow(log: EventLog): () => void {
    return log.subscribe((batch) => this.receive(batch));
  }

  /** Adds a reaction after those added before; returns its removal. */
  react(reaction: Reaction): () => void {
    this.reactions.push(reaction);
    return () => {
      const index = this.reactions.indexOf(reaction);
      if (index >= 0) this.reactions.splice(index, 1);
    };
  }

  /** The position of the last event the projections applied. */
  get position(): number {
    return this.appliedPosition;
  }

  /** The clock's tick: sessions expire, windows slide and alerts re-check here, never on a read. */
  tick(now: number): void {
    if (this.held) {
      this.heldTick = Math.max(now, this.heldTick ?? now);
      return;
    }
    const step: Step = { now, ended: [], alerts: [] };
    for (const projection of this.projections) {
      if (!projection.tick) continue;
      try {
        projection.tick(step);
      } catch (error) {
        this.onError(projection.name, error);
      }
    }
    this.runReactions(step);
  }

  /** Applies the log after `position` (the snapshot's) through the projections; returns how many. */
  replay(log: EventLog, position: number, progress?: (replayed: number) => void): number {
    let replayed = 0;
    for (const committed of log.readFrom(position)) {
      this.project(committed);
      replayed++;
      if (progress && replayed % 10_000 === 0) progress(replayed);
    }
    return replayed;
  }

  /**
   * As `replay`, from any source of committed events in order (the log's `readFromAsync` when it
   * has one, else `readFrom`): a shared log is read over the network, a page at a time. Yields to
   * the loop between pages only; the events are applied exactly as `replay` applies them.
   */
  async replayAsync(
    source: EventLog | AsyncIterable<CommittedEvent>,
    position: number,
    progress?: (replayed: number) => void,
  ): Promise<number> {
    const events =
      Symbol.asyncIterator in source
        ? source
        : (source.readFromAsync?.(position) ?? source.readFrom(position));
    let replayed = 0;
    for await (const committed of events) {
      if (committed.position <= this.appliedPosition) continue;
      this.project(committed);
      replayed++;
      if (progress && replayed % 10_000 === 0) progress(replayed);
    }
    return replayed;
  }

  /**
   * Stops applying commits and ticks until the returned release is called (commits are kept, in
   * order, and applied then, followed by the latest tick): the state stays as it is while it is
   * read over several turns. Appends still resolve meanwhile: their events are durable, and
   * counted on release. Releasing twice does nothing.
   */
  hold(): () => void {
    if (this.held) throw new Error("the pipeline is already held");
    const held: CommittedEvent[][] = [];
    this.held = held;
    return () => {
      if (this.held !== held) return;
      this.held = undefined;
      for (const batch of held) this.apply(batch);
      const tick = this.heldTick;
      this.heldTick = undefined;
      if (tick !== undefined) this.tick(tick);
      const waiting = this.releaseWaiters.splice(0);
      for (const resolve of waiting) resolve();
    };
  }

  get isHeld(): boolean {
    return this.held !== undefined;
  }

  /**
   * Resolves once every commit made so far has been applied: at once, or when the hold (a
   * snapshot reading the state, a few turns) is released. A read that must include every
   * acknowledged event waits on it.
   */
  whenApplied(): Promise<void> {
    if (this.held === undefined) return Promise.resolve();
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  /**
   * Each stateful projection's state, by name. `lazily`: long lists as iterators over the live state
   * (`exportLazily`), to be read only while the pipeline is held.
   */
  exportState(lazily = false): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    for (const projection of this.projections) {
      const exported = lazily
        ? (projection.exportLazily ?? projection.exportState)?.call(projection)
        : projection.exportState?.();
      if (exported !== undefined) state[projection.name] = exported;
    }
    return state;
  }

  importState(state: Record<string, unknown>, position: number): void {
    for (const projection of this.projections) projection.importState?.(state[projection.name]);
    this.appliedPosition = position;
  }

  /** The state ticks change (a snapshot is due when it differs from the last saved). */
  tickedState(): string {
    const ticked: Record<string, unknown> = {};
    for (const projection of this.projections) {
      if (projection.changesOnTicks) ticked[projection.name] = projection.exportState?.() ?? null;
    }
    return JSON.stringify(ticked);
  }

  private receive(batch: readonly CommittedEvent[]): void {
    if (this.held) this.held.push(batch.slice());
    else this.apply(batch);
  }

  private apply(batch: readonly CommittedEvent[]): void {
    for (const committed of batch) this.runReactions(this.project(committed));
  }

  private project(committed: CommittedEvent): EventStep {
    const step: EventStep = { now: committed.receivedAt, committed, ended: [], alerts: [] };
    for (const projection of this.projections) {
      try {
        projection.apply(step);
      } catch (error) {
        this.onError(projection.name, error);
      }
    }
    this.appliedPosition = committed.position;
    return step;
  }

  private runReactions(step: Step): void {
    if (!step.committed && step.ended.length === 0 && step.alerts.length === 0) return;
    // A projection or reaction that throws is logged; the others and the event's answer go on
    // (try/catch in each loop rather than a closure per stage: this runs for every event).
    for (const reaction of this.reactions) {
      try {
        reaction.react(step);
      } catch (error) {
        this.onError(reaction.name, error);
      }
    }
  }
}
