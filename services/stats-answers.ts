import type { CurrentStats, DimensionFilter } from "../interfaces/analytics.ts";
import { jsonStringBytes, STATS_MAX_BYTES, takeWithinBytes } from "./answer-budget.ts";
import { countsOf, type DailyCounters } from "./daily-counters.ts";
import { OTHER } from "./key-cap.ts";
import type { SessionTracker } from "./session-tracker.ts";
import type { FilteredDistinctWindow } from "./sliding-windows.ts";

/** Stats answers kept for the current state only: at most this many filters between changes. */
const CACHE_ENTRIES = 256;

export interface StatsAnswer {
  stats: CurrentStats;
  /** Serialised once, when first asked for (summaries and dashboard frames carry it). */
  json?: string;
  /** The earlier system's fields only, serialised once (every ingestion answer carries it). */
  seedJson?: string;
}

/**
 * `current_stats` under each filter, computed once per change of the counted state and shared
 * (frozen): ingestion answers, summaries and dashboard frames read the same object.
 */
export class StatsAnswers {
  /** Bumped by every change to the counted state; the cache holds one version. */
  private version = 0;
  private cachedVersion = -1;
  /**
   * The cache also ends when the oldest session's timeout runs out, the oldest visitor leaves the
   * last 5 minutes, or the day ends.
   */
  private cachedUntil = Number.NEGATIVE_INFINITY;
  private readonly cache = new Map<string, StatsAnswer>();

  constructor(
    private readonly today: DailyCounters,
    private readonly sessions: SessionTracker,
    private readonly visitorsNow: FilteredDistinctWindow,
  ) {}

  changed(): void {
    this.version++;
  }

  get(filter: DimensionFilter, now: number): StatsAnswer {
    if (this.cachedVersion !== this.version || now >= this.cachedUntil) {
      this.cache.clear();
      this.cachedVersion = this.version;
      this.cachedUntil = Math.min(
        this.sessions.nextTimeoutAt(),
        this.visitorsNow.nextExpiryAt(),
        this.today.endsAt,
      );
    }
    const key = `${filter.site ?? ""}\u0001${filter.country ?? ""}\u0001${filter.page ?? ""}`;
    let cached = this.cache.get(key);
    if (cached) return cached;
    if (this.cache.size >= CACHE_ENTRIES) this.cache.clear();
    cached = { stats: this.compute(filter, now) };
    this.cache.set(key, cached);
    return cached;
  }

  private compute(filter: DimensionFilter, now: number): CurrentStats {
    const pages = this.today.pagesVisited(filter, now);
    // The most viewed first, while they fit STATS_MAX_BYTES (always one); the rest is (other).
    const listed = takeWithinBytes(
      pages.listed,
      STATS_MAX_BYTES,
      ([page]) => jsonStringBytes(page) + 12,
    ).items;
    let other = pages.other;
    for (const [, views] of pages.listed.slice(listed.length)) other += views;
    const pagesVisited = countsOf(listed);
    if (other > 0) pagesVisited[OTHER] = other;
    return Object.freeze({
      total_active: this.sessions.count(filter, now),
      total_today: this.today.total(filter, now),
      pages_visited: Object.freeze(pagesVisited),
      pages_total: pages.distinct,
      visitors_right_now: this.visitorsNow.count(filter, now),
    });
  }
}
