import type { RedisClient } from "bun";
import {
  type CommitListener,
  type CommittedEvent,
  StorageUnavailableError,
} from "../pipeline/event-log.ts";
import {
  decodeEntry,
  entriesOf,
  idOf,
  positionOf,
  RecentEvents,
  type StreamEntry,
} from "./stream-entries.ts";

export interface StreamTailOptions {
  /** Entries per read. */
  batchSize: number;
  /** Delivered events kept in memory for synchronous reads (dashboards resuming). */
  recentEvents: number;
  /** An append Redis accepted but the tail has not delivered in this long fails (503). */
  deliveryTimeoutMs: number;
}

/** Accepted by Redis, waiting for the tail to deliver through `last`. */
interface Awaiting {
  last: number;
  committed: readonly CommittedEvent[];
  since: number;
  resolve: (committed: readonly CommittedEvent[]) => void;
  reject: (error: Error) => void;
}

/**
 * The archived events after `after` and before `before`, in order (the archive's reader): what
 * the stream no longer holds when the tail reaches a trimmed gap.
 */
export type ArchivedRange = (after: number, before: number) => AsyncIterable<CommittedEvent>;

const BLOCK_MS = 2000;
const MAX_BACKOFF_MS = 2000;
/** A gap the archive cannot fill yet (unreachable, or still archiving) is tried again this often. */
const GAP_RETRY_MS = 500;

/**
 * Follows the stream on its own connection (a blocked XREAD holds it) from the last delivered
 * position, and tells the subscribers every entry of every instance, in stream order, once each.
 * Appends this instance made are answered once the tail has delivered them.
 */
export class StreamTail {
  private delivered = 0;
  private awaiting: Awaiting[] = [];
  /** This instance's own accepted events, delivered as they are rather than decoded again. */
  private readonly own = new Map<number, CommittedEvent>();
  private readonly listeners: CommitListener[] = [];
  private readonly recent: RecentEvents;
  private subscriberError: (error: unknown) => void = () => {};
  private tailError: (error: Error) => void = () => {};
  private healthy = true;
  private closed = false;
  private running: Promise<void> | undefined;
  private archived: ArchivedRange | undefined;

  constructor(
    private readonly reader: RedisClient,
    private readonly stream: string,
    private readonly options: StreamTailOptions,
    private readonly onHealth: (healthy: boolean) => void,
  ) {
    this.recent = new RecentEvents(options.recentEvents);
  }

  /**
   * Starts delivering what follows `position` (what this instance already applied). With
   * `archived`, a trimmed gap is read from the archive; without it, the gap is reported and skipped.
   */
  start(position: number, archived?: ArchivedRange): void {
    if (this.running) throw new Error("the tail is already running");
    this.delivered = position;
    this.archived = archived;
    this.running = this.run();
  }

  get position(): number {
    return this.delivered;
  }

  get ok(): boolean {
    return this.healthy;
  }

  subscribe(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  onSubscriberError(handler: (error: unknown) => void): void {
    this.subscriberError = handler;
  }

  onTailError(handler: (error: Error) => void): void {
    this.tailError = handler;
  }

  /** An append Redis accepted: resolved now if already delivered, else once the tail delivers it. */
  expect(
    committed: readonly CommittedEvent[],
    resolve: Awaiting["resolve"],
    reject: Awaiting["reject"],
  ): void {
    const last = committed[committed.length - 1]?.position ?? 0;
    if (last <= this.delivered) {
      resolve(committed);
      return;
    }
    for (const one of committed) if (one.position > this.delivered) this.own.set(one.position, one);
    this.awaiting.push({ last, committed, since: Date.now(), resolve, reject });
  }

  /** Delivered events after `position` that memory still holds (a gap where it does not). */
  recentAfter(position: number): Iterable<CommittedEvent> {
    return this.recent.after(position, this.delivered);
  }

  /** Stops reading (closing the connection ends the blocked read) and refuses what still waits. */
  async close(): Promise<void> {
    this.closed = true;
    this.reader.close();
    const error = new StorageUnavailableError("the event log is closed");
    for (const waiting of this.awaiting.splice(0)) waiting.reject(error);
    this.own.clear();
    await this.running;
  }

  private async run(): Promise<void> {
    let backoff = 50;
    const count = String(this.options.batchSize);
    while (!this.closed) {
      try {
        const reply = await this.reader.send("XREAD", [
          ...["COUNT", count, "BLOCK", String(BLOCK_MS)],
          ...["STREAMS", this.stream, idOf(this.delivered)],
        ]);
        this.setHealthy(true);
        backoff = 50;
        const entries = entriesOf(reply, this.stream);
        const first = entries[0] && positionOf(entries[0][0]);
        if (first && first > this.delivered + 1 && !(await this.fillGap(first))) {
          this.expireAwaiting();
          await Bun.sleep(GAP_RETRY_MS);
          continue;
        }
        if (entries.length > 0) this.deliver(entries);
      } catch {
        if (this.closed) return;
        // Redis unreachable: retry with backoff from the same position, so nothing is skipped
        // (the client reconnects by itself).
        this.setHealthy(false);
        this.expireAwaiting();
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /**
   * The stream starts after a gap (trimmed before this tail read it): the events in between are
   * delivered from the archive, in order, a batch at a time. False when the archive could not
   * give them all (unreachable, or not archived yet): the tail reads again and retries.
   */
  private async fillGap(next: number): Promise<boolean> {
    const gap = new StreamGapError(this.delivered + 1, next);
    if (!this.archived) {
      this.tailError(gap);
      for (const skipped of this.own.keys()) if (skipped < next) this.own.delete(skipped);
      this.delivered = next - 1;
      return true;
    }
    try {
      let batch: CommittedEvent[] = [];
      for await (const archived of this.archived(this.delivered, next)) {
        if (archived.position !== this.delivered + batch.length + 1) break;
        batch.push(this.takeOwn(archived.position) ?? archived);
        if (batch.length >= this.options.batchSize) batch = this.publish(batch);
      }
      this.publish(batch);
    } catch (error) {
      this.tailError(new Error(`reading trimmed events from the archive: ${String(error)}`));
      return false;
    }
    if (this.delivered >= next - 1) return true;
    this.tailError(new Error(`${gap.message}, and the archive does not hold them all yet`));
    return false;
  }

  /** Delivers the entries that follow the last delivered one (up to any gap, read again later). */
  private deliver(entries: StreamEntry[]): void {
    const batch: CommittedEvent[] = [];
    for (const entry of entries) {
      const position = positionOf(entry[0]);
      if (position <= this.delivered + batch.length) continue;
      if (position !== this.delivered + batch.length + 1) break;
      let committed = this.takeOwn(position);
      if (!committed) {
        try {
          committed = decodeEntry(entry);
        } catch (error) {
          // Skipped (nothing can read it), so the tail is not stuck on it.
          this.tailError(new Error(`unreadable stream entry ${entry[0]}: ${String(error)}`));
          this.publish(batch.splice(0));
          this.delivered = position;
          continue;
        }
      }
      batch.push(committed);
    }
    this.publish(batch);
  }

  /** This instance's own event at `position`, as it was accepted (not decoded again). */
  private takeOwn(position: number): CommittedEvent | undefined {
    const committed = this.own.get(position);
    if (committed) this.own.delete(position);
    return committed;
  }

  /**
   * Tells every subscriber the batch (consecutive, following the last delivered), then answers
   * the appends it completes. Answers an empty batch to fill next.
   */
  private publish(batch: CommittedEvent[]): CommittedEvent[] {
    const last = batch.at(-1);
    if (!last) return batch;
    for (const committed of batch) this.recent.add(committed);
    this.delivered = last.position;
    // Every subscriber sees the whole batch before the first waiting append resumes.
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (error) {
        this.subscriberError(error);
      }
    }
    let done = 0;
    for (const waiting of this.awaiting) {
      if (waiting.last > this.delivered) break;
      waiting.resolve(waiting.committed);
      done++;
    }
    if (done > 0) this.awaiting.splice(0, done);
    return [];
  }

  /** Accepted appends not delivered in time: 503, although their events stay in the stream. */
  private expireAwaiting(): void {
    const cutoff = Date.now() - this.options.deliveryTimeoutMs;
    const expired = this.awaiting.filter((waiting) => waiting.since < cutoff);
    if (expired.length === 0) return;
    this.awaiting = this.awaiting.filter((waiting) => waiting.since >= cutoff);
    const error = new StorageUnavailableError("accepted by Redis but not applied here in time");
    for (const waiting of expired) waiting.reject(error);
  }

  private setHealthy(healthy: boolean): void {
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    this.onHealth(healthy);
  }
}

/** The stream no longer holds the events from `from` (trimmed): read them from the archive. */
export class StreamGapError extends Error {
  constructor(
    readonly from: number,
    readonly next: number,
  ) {
    super(`the stream skips from position ${from - 1} to ${next}: events trimmed before read`);
    this.name = "StreamGapError";
  }
}
