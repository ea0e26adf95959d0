import type {
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";

export type EndedSession = SessionView & { reason: SessionEndReason };

/** Dashboards sharing one filter share one Bun topic and one frame budget. */
export class Feed {
  subscribers = 0;
  pending: VisitorEvent[] = [];
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
    private readonly framesPerSecond: number,
    now: number,
  ) {
    this.tokens = framesPerSecond;
    this.lastRefill = now;
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

export function activityOf(session: SessionView) {
  return {
    session_id: session.session_id,
    current_page: session.current_page,
    journey: session.journey,
    duration: session.duration,
    country: session.country,
    device: session.device,
    site: session.site,
    page_views: session.page_views,
  };
}

export function serialize(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
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
