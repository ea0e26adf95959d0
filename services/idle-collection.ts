/** A full collection is due once a burst of at least this many events is over. */
export const BURST_EVENTS = 100_000;
/** A burst is over when fewer events than this arrived since the previous check. */
export const IDLE_EVENTS_PER_CHECK = 100;

/**
 * When to run a full garbage collection: once after a burst of ingest, when the events stop.
 * After a burst the collector's heap holds the garbage of every request and commit of it, and
 * what is collected late is memory the allocator keeps; one full collection when the server goes
 * quiet gives much of it back (~50 MB after 1,000,000 events over 100,000 sessions, for ~100 ms of
 * the event loop, measured by bench/session-heap.ts). At most one per `burstEvents` events, and
 * never while events keep coming, so steady traffic never pays for it.
 */
export class IdleCollection {
  private lastPosition: number | undefined;
  private sinceCollection = 0;
  private quiet = false;

  constructor(
    private readonly collect: () => void,
    private readonly burstEvents = BURST_EVENTS,
    private readonly idleEventsPerCheck = IDLE_EVENTS_PER_CHECK,
  ) {}

  /** Called on a timer with the position of the last event applied; collects when due. */
  check(position: number): boolean {
    const arrived = position - (this.lastPosition ?? position);
    this.lastPosition = position;
    this.sinceCollection += arrived;
    this.quiet = arrived < this.idleEventsPerCheck;
    if (this.sinceCollection < this.burstEvents || !this.quiet) return false;
    this.sinceCollection = 0;
    this.collect();
    return true;
  }

  /**
   * Called when a snapshot was written; collects when traffic is light. Serialising the live state
   * leaves its size in garbage (~100 MB with 100,000 sessions), which a quiet server's collector
   * otherwise keeps through several snapshots (RSS 190 -> 800 MB over 20 s of snapshots every 5 s,
   * bench/idle-rss.ts); under steady traffic the collector's own cycles take it, so it never runs then.
   */
  snapshotWritten(): boolean {
    if (!this.quiet) return false;
    this.collect();
    return true;
  }
}
