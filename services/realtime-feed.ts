import type { DimensionFilter } from "../interfaces/analytics.ts";
import type { EndedSession } from "./realtime-frames.ts";

/**
 * Dashboards sharing one filter and one delivery share one Bun topic, so each frame is serialised
 * once per feed. A feed delivers either each event as its own frames (`batching` false: the
 * seed's dashboards, which know no `visitor_batch`) or within a frame budget, coalescing the rest
 * into one `visitor_batch` a tick (`batching` true: dashboards that asked for it).
 */
export class Feed {
  subscribers = 0;
  /** Events waiting for the next batch, as JSON (each serialised once for every feed). */
  pending: string[] = [];
  /** Each pending event's bytes, and their sum. */
  pendingSizes: number[] = [];
  pendingBytes = 0;
  /** Sessions with events in the pending batch; their activity is read when the batch goes. */
  pendingSessions = new Set<string>();
  /** Sessions ended while over budget, in the order they ended; sent as `ended` in a batch. */
  pendingEnded = new Map<string, EndedSession>();
  dropped = 0;
  tokens: number;
  lastRefill: number;

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

  /** Whether frames for this feed can go out now rather than wait for the next tick's batch. */
  canSendNow(frames: number, now: number): boolean {
    if (!this.batching) return true;
    if (this.pending.length > 0 || this.pendingEnded.size > 0) return false;
    this.refill(now);
    if (this.tokens < frames) return false;
    this.tokens -= frames;
    return true;
  }

  /** A token bucket of frames: `framesPerSecond` a second, bursts up to as many. */
  refill(now: number): void {
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

/** Removes and returns the oldest `limit` entries. */
export function takeEnded(pending: Map<string, EndedSession>, limit: number): EndedSession[] {
  const taken: EndedSession[] = [];
  for (const [sessionId, ended] of pending) {
    if (taken.length >= limit) break;
    taken.push(ended);
    pending.delete(sessionId);
  }
  return taken;
}
