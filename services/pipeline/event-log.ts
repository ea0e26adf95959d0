import type { VisitorEvent } from "../../interfaces/analytics.ts";

/** An event the log has made durable, at `position` (consecutive, from 1), received at `receivedAt` ms. */
export interface CommittedEvent {
  readonly position: number;
  readonly event: VisitorEvent;
  readonly receivedAt: number;
}

/** Told of each group of events right after it commits, in log order, before `append` resolves. */
export type CommitListener = (committed: readonly CommittedEvent[]) => void;

/**
 * The one source of truth: what a second implementation (Redis Streams, say) must provide.
 * `append` resolves only once its events are durable and every subscriber has been told.
 */
export interface EventLog {
  append(events: readonly VisitorEvent[], receivedAt: number): Promise<readonly CommittedEvent[]>;
  /** The events after `position`, in log order. */
  readFrom(position: number, pageSize?: number): Iterable<CommittedEvent>;
  /**
   * The events after `position`, in log order, read over the network (a shared log whose
   * synchronous `readFrom` holds only recent events): replay prefers it when present.
   */
  readFromAsync?(position: number, pageSize?: number): AsyncIterable<CommittedEvent>;
  /** The position of the last committed event (0 when none). */
  lastPosition(): number;
  subscribe(listener: CommitListener): () => void;
}

/** The log cannot make events durable now: the request is answered 503 and may be retried. */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The database cannot write: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "StorageUnavailableError";
  }
}

/** A log's group commits since start: how many, the events in them, the time spent committing. */
export class CommitTotals {
  commits = 0;
  events = 0;
  commitMs = 0;

  /** The figures /api/status shows, the same for every log. */
  stats(degraded: boolean) {
    const { commits, events, commitMs } = this;
    return {
      commits,
      events_committed: events,
      events_per_commit: commits === 0 ? 0 : Math.round((events / commits) * 10) / 10,
      commit_ms_total: Math.round(commitMs),
      degraded,
    };
  }
}
