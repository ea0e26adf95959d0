import type { DimensionFilter } from "../interfaces/analytics.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import { feedKey, normalizedFilter } from "./realtime-feed.ts";
import { serialize } from "./realtime-frames.ts";

/** How long a `detailed_stats_response` answer is reused: dashboards see figures at most this old. */
export const DETAILED_STATS_TTL_MS = 1000;
/** Answers kept at most; filters asked for within one TTL rarely come near it. */
const MAX_CACHED_FILTERS = 1000;

/**
 * `detailed_stats_response` frames (what the earlier system's dashboards read: `summary`, `sessions`,
 * `country_breakdown`, `recent_events`, beside Footfall's fields and `filters_applied`), built and serialised at most once per filter per TTL and sent as the
 * same string to every dashboard that asks. With the caps full one build costs milliseconds
 * (sessions filtered, breakdowns of thousands of keys); answering each request afresh let a few
 * dashboards hold the event loop for seconds.
 */
export class DetailedStatsFrames {
  /** In build order, so the expired ones are at the front. */
  private readonly frames = new Map<string, { builtAt: number; frame: string }>();
  private builtCount = 0;
  private servedCount = 0;

  constructor(
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly ttlMs = DETAILED_STATS_TTL_MS,
  ) {}

  frameFor(filter: DimensionFilter): string {
    const now = this.clock.now();
    const key = feedKey(filter);
    this.servedCount++;
    const cached = this.frames.get(key);
    if (cached && now - cached.builtAt < this.ttlMs) return cached.frame;
    this.frames.delete(key);
    for (const [oldKey, entry] of this.frames) {
      if (now - entry.builtAt < this.ttlMs && this.frames.size < MAX_CACHED_FILTERS) break;
      this.frames.delete(oldKey);
    }
    const applied = normalizedFilter(filter);
    const frame = serialize("detailed_stats_response", {
      ...this.store.detailed(applied),
      filters_applied: applied,
    });
    this.frames.set(key, { builtAt: now, frame });
    this.builtCount++;
    return frame;
  }

  stats() {
    return { detailed_stats_built: this.builtCount, detailed_stats_served: this.servedCount };
  }
}
