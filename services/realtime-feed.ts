import type { DimensionFilter } from "../interfaces/analytics.ts";
import type { SessionEnded } from "../schemas/websocket-protocol.ts";

/** The most events one `visitor_batch` carries; older ones are dropped and counted. */
export const MAX_EVENTS_PER_BATCH_FRAME = 500;
/** The most ended sessions one `visitor_batch` carries; the rest wait for the next tick. */
export const MAX_BATCH_ENDED = 500;
/**
 * Bytes of the events one `visitor_batch` carries, and apart of its sessions: with the stats (at
 * most STATS_MAX_BYTES) a frame stays under ~320 KiB, so one anonymous batch of long events cannot
 * make a frame of megabytes. 500 ordinary events and their sessions fit.
 */
export const BATCH_MAX_BYTES = 128 * 1024;

/** An event waiting for the next batch: its frame JSON (built once for every feed) and size. */
export interface PendingEvent {
  json: string;
  bytes: number;
  position: number | undefined;
}

/** What a feed's tick sends as one `visitor_batch`; the frame is built from it by the fan-out. */
export interface Batch {
  events: string[];
  /** Sessions with events in the batch, in the order they joined it; read as the batch goes. */
  sessionIds: string[];
  ended: SessionEnded[];
  dropped: number;
}

/**
 * A feed's coalescing policy, pure and driven by the clock it is handed (`now`), so it is tested
 * without sockets. Dashboards sharing one filter and one delivery share one feed (and one Bun
 * topic). A feed delivers either each event as its own frames (`batching` false: the earlier system's
 * dashboards, which know no `visitor_batch`) or within a frame budget, a token bucket of
 * `framesPerSecond`: within it frames go at once; past it events and ended sessions wait for the
 * next tick's batch, which always goes (so no event waits longer than a tick).
 */
export class Feed {
  subscribers = 0;
  private events: PendingEvent[] = [];
  private eventBytes = 0;
  private readonly sessions = new Set<string>();
  /** Sessions ended while over budget, in the order they ended; sent as `ended` in a batch. */
  private readonly ended = new Map<string, SessionEnded>();
  private dropped = 0;
  private tokens: number;
  private lastRefill: number;

  constructor(
    readonly topic: string,
    readonly filter: DimensionFilter,
    readonly batching: boolean,
    private readonly framesPerSecond: number,
    now: number,
  ) {
    this.tokens = framesPerSecond;
    this.lastRefill = now;
  }

  /** Something waits for the next tick; until it goes, nothing overtakes it. */
  get hasPending(): boolean {
    return this.events.length > 0 || this.ended.size > 0;
  }

  /** The log position of the oldest event waiting, if any. */
  get firstPendingPosition(): number | undefined {
    return this.events[0]?.position;
  }

  /** Whether `frames` can go out now rather than wait for the next tick; takes their tokens. */
  canSendNow(frames: number, now: number): boolean {
    if (!this.batching) return true;
    if (this.hasPending) return false;
    this.refill(now);
    if (this.tokens < frames) return false;
    this.tokens -= frames;
    return true;
  }

  /**
   * Queues an event for the next batch; past MAX_EVENTS_PER_BATCH_FRAME or BATCH_MAX_BYTES the oldest are
   * dropped and counted. `sessionId` is the session whose activity the batch carries (none for
   * a `session_end` event).
   */
  queueEvent(event: PendingEvent, sessionId: string | undefined): void {
    while (
      this.events.length > 0 &&
      (this.events.length >= MAX_EVENTS_PER_BATCH_FRAME ||
        this.eventBytes + event.bytes > BATCH_MAX_BYTES)
    ) {
      this.eventBytes -= this.events.shift()?.bytes ?? 0;
      this.dropped++;
    }
    this.events.push(event);
    this.eventBytes += event.bytes;
    if (sessionId !== undefined) this.sessions.add(sessionId);
  }

  /** Queues a session's end for the next batch's `ended`; it leaves the batch's `sessions`. */
  queueEnded(ended: SessionEnded): void {
    this.sessions.delete(ended.session_id);
    this.ended.set(ended.session_id, ended);
  }

  /** A session that comes back before its queued end went out is active again, not ended. */
  sessionActive(sessionId: string): void {
    this.ended.delete(sessionId);
  }

  /** At a tick: what waited, as one batch (undefined when nothing did). A tick always sends. */
  takeBatch(now: number): Batch | undefined {
    if (!this.hasPending) return undefined;
    this.refill(now);
    // The batch costs a frame even past the budget, so a sustained burst stays at one a tick.
    this.tokens = Math.max(-this.framesPerSecond, this.tokens - 1);
    const ended: SessionEnded[] = [];
    for (const [sessionId, session] of this.ended) {
      if (ended.length >= MAX_BATCH_ENDED) break;
      ended.push(session);
      this.ended.delete(sessionId);
    }
    const batch: Batch = {
      events: this.events.map((event) => event.json),
      sessionIds: [...this.sessions],
      ended,
      dropped: this.dropped,
    };
    this.events = [];
    this.eventBytes = 0;
    this.sessions.clear();
    this.dropped = 0;
    return batch;
  }

  /** A token bucket of frames: `framesPerSecond` a second, bursts up to as many. */
  private refill(now: number): void {
    const rate = this.framesPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
  }
}

/** One key per filter, whatever order its fields came in and whether absent ones were given. */
export function feedKey(filter: DimensionFilter): string {
  return JSON.stringify([filter.site ?? null, filter.country ?? null, filter.page ?? null]);
}

/** The filter with only the dimensions it names, in the schema's order (as echoed to dashboards). */
export function normalizedFilter(filter: DimensionFilter): DimensionFilter {
  const normalized: DimensionFilter = {};
  if (filter.country !== undefined) normalized.country = filter.country;
  if (filter.page !== undefined) normalized.page = filter.page;
  if (filter.site !== undefined) normalized.site = filter.site;
  return normalized;
}
