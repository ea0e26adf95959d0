import type {
  CurrentStats,
  DimensionFilter,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import {
  ANSWER_MAX_BYTES,
  BREAKDOWN_MAX_BYTES,
  countsBytes,
  countsWithinBytes,
  DETAILED_OVERHEAD,
  eventBytes,
  jsonStringBytes,
  takeWithinBytes,
} from "./answer-budget.ts";
import type { Clock } from "./clock.ts";
import { DailyCounters } from "./daily-counters.ts";
import { toEventView } from "./event-view.ts";
import type { AnalyticsStoreOptions, AnalyticsStoreState } from "./live-state.ts";
import type { EndedSession, EventStep, Projection, Step } from "./pipeline/step.ts";
import { dimensionsOf } from "./session.ts";
import { SessionTracker } from "./session-tracker.ts";
import { matchesFilter, toSessionListView, toSessionView } from "./session-view.ts";
import { FilteredDistinctWindow, RateWindow, RecentItems } from "./sliding-windows.ts";
import { StatsAnswers } from "./stats-answers.ts";

export { BREAKDOWN_MAX_BYTES, STATS_MAX_BYTES } from "./answer-budget.ts";
export type { AnalyticsStoreOptions, AnalyticsStoreState } from "./live-state.ts";

export const VISITOR_WINDOW_MS = 60_000;
/** "Visitors right now": distinct visitors seen in the last 5 minutes, as Plausible counts them. */
export const VISITORS_NOW_WINDOW_MS = 5 * 60_000;
export const RECENT_EVENTS = 50;
/** Sessions `detailed()` lists at most. */
export const DETAILED_SESSIONS = 50;

/**
 * The live state: active sessions, today's counters, the last minute's visitors and the newest
 * events. A projection of the event log; every read is answered from counters kept as events
 * arrive, and no read changes them (sessions end on events and ticks only).
 */
export class AnalyticsStore implements Projection {
  readonly name = "store";
  readonly sessions: SessionTracker;
  /** Sessions ended since the last step took them. */
  private ended: EndedSession[] = [];
  private readonly today: DailyCounters;
  /** Visitors (a session's `visitor_key`, per site) of the last 5 minutes, by their latest page. */
  private readonly visitorsNow: FilteredDistinctWindow;
  private readonly eventRate = new RateWindow();
  private readonly recent = new RecentItems<VisitorEvent>(RECENT_EVENTS);
  private eventsReceived = 0;
  private readonly stats: StatsAnswers;
  private readonly answerMaxBytes: number;

  constructor(
    private readonly clock: Clock,
    options: AnalyticsStoreOptions,
  ) {
    this.sessions = new SessionTracker({
      timeoutMs: options.sessionTimeoutMs,
      maxSessions: options.maxActiveSessions,
      maxBytes: options.maxLiveStateBytes,
      seenWindowMs: VISITOR_WINDOW_MS,
      onEnded: (session, reason, now) => {
        this.stats.changed();
        // A timed-out session ended when its timeout ran out, not when it was noticed.
        const endedAt =
          reason === "timeout" ? session.last_activity + options.sessionTimeoutMs : now;
        this.ended.push({ session: toSessionView(session), reason, endedAt });
      },
    });
    this.today = new DailyCounters({
      maxTrackedKeys: options.maxTrackedKeys,
      maxTrackedKeyBytes: options.maxTrackedKeyBytes ?? Number.POSITIVE_INFINITY,
      statsMaxPages: options.statsMaxPages ?? 100,
    });
    this.visitorsNow = new FilteredDistinctWindow(
      VISITORS_NOW_WINDOW_MS,
      options.maxActiveSessions,
    );
    this.stats = new StatsAnswers(this.today, this.sessions, this.visitorsNow);
    this.answerMaxBytes = options.answerMaxBytes ?? ANSWER_MAX_BYTES;
    this.today.rollOver(clock.now());
  }

  apply(step: EventStep): void {
    this.record(step.committed.event, step.now);
    this.handOver(step);
  }

  tick(step: Step): void {
    this.sessions.expire(step.now);
    this.visitorsNow.prune(step.now);
    if (this.today.rollOver(step.now)) this.stats.changed();
    this.handOver(step);
  }

  private handOver(step: Step): void {
    // Most events end no session: no array made for them.
    if (this.ended.length === 0) return;
    step.ended.push(...this.ended);
    this.ended = [];
  }

  private record(event: VisitorEvent, now: number): void {
    this.stats.changed();
    this.eventsReceived++;
    this.eventRate.record(now);
    this.recent.push(event);
    if (event.type === "pageview") {
      this.today.recordPageview(
        { site: event.site, country: event.country, page: event.page },
        event.device,
        now,
      );
    }
    const session = this.sessions.touch(event, now);
    // Keyed per site: a visitor key that is a user or session id may recur on another site.
    if (session) {
      this.visitorsNow.touch(
        `${session.site}\u0001${session.visitor_key}`,
        dimensionsOf(session),
        now,
      );
    }
  }

  /**
   * Active sessions, today's pageviews and `pages_visited` (at most `statsMaxPages` pages, the
   * rest as `(other)`, with `pages_total` beside it) under the filter. Computed once per change
   * of state and filter, and shared: callers must not change it (it is frozen).
   */
  currentStats(filter: DimensionFilter = {}): CurrentStats {
    return this.stats.get(filter, this.clock.now()).stats;
  }

  /**
   * `currentStats(filter)` as ingestion answers carry it: the earlier system's fields only
   * (`visitors_right_now` left out, so a 201 is exactly the seed's body), serialised once per
   * change of state.
   */
  currentStatsJson(filter: DimensionFilter = {}): string {
    const cached = this.stats.get(filter, this.clock.now());
    if (cached.seedJson === undefined) {
      const { visitors_right_now: _added, ...seed } = cached.stats;
      cached.seedJson = JSON.stringify(seed);
    }
    return cached.seedJson;
  }

  /** `currentStats(filter)` as JSON, whole: summaries and dashboard frames. Serialised once per change. */
  liveStatsJson(filter: DimensionFilter = {}): string {
    const cached = this.stats.get(filter, this.clock.now());
    cached.json ??= JSON.stringify(cached.stats);
    return cached.json;
  }

  visitorsLastMinute(now = this.clock.now()): number {
    return this.sessions.seenCount(now);
  }

  totalToday(now = this.clock.now()): number {
    return this.today.total({}, now);
  }

  /**
   * The most recently active sessions under the filter, at most `limit`, each journey cut to its
   * newest pages within LIST_JOURNEY_MAX_BYTES; in order while they fit `maxBytes` (always one),
   * `truncated` when more were left out for it. `total_count` counts every match.
   */
  activeSessions(
    filter: DimensionFilter,
    limit: number,
    maxBytes = this.answerMaxBytes,
  ): { sessions: SessionView[]; total_count: number; truncated: boolean } {
    const { sessions, total_count, truncated } = this.sessionList(filter, limit, maxBytes);
    return { sessions, total_count, truncated };
  }

  private sessionList(filter: DimensionFilter, limit: number, maxBytes: number) {
    const now = this.clock.now();
    const listed = takeWithinBytes(
      this.sessions.list(filter, limit, now).map(toSessionListView),
      maxBytes,
      (session) => session.bytes,
    );
    return {
      sessions: listed.items.map((session) => session.view),
      total_count: this.sessions.count(filter, now),
      truncated: listed.truncated,
      bytes: listed.bytes,
    };
  }

  session(sessionId: string): SessionView | undefined {
    const session = this.sessions.get(sessionId, this.clock.now());
    return session ? toSessionView(session) : undefined;
  }

  /**
   * The dashboard's whole picture, about ANSWER_MAX_BYTES at most: the summary and breakdowns
   * (each bounded) come first, and the sessions and recent events share what they leave, the
   * sessions up to half; each list keeps at least one item and says when it left some out.
   */
  detailed(filter: DimensionFilter = {}) {
    const now = this.clock.now();
    const summary = this.currentStats(filter);
    const country_breakdown = countsWithinBytes(
      this.today.countryBreakdown(filter, now),
      BREAKDOWN_MAX_BYTES,
    );
    const device_breakdown = countsWithinBytes(
      this.today.deviceBreakdown(filter, now),
      BREAKDOWN_MAX_BYTES,
    );
    const top_pages = this.today.topPages(filter, 10, now);
    let fixedBytes = DETAILED_OVERHEAD + countsBytes(summary.pages_visited);
    fixedBytes += countsBytes(country_breakdown) + countsBytes(device_breakdown);
    for (const { page } of top_pages) fixedBytes += jsonStringBytes(page) + 24;
    const listBytes = Math.max(0, this.answerMaxBytes - fixedBytes);
    // The sessions go out twice (`sessions` for earlier clients, `active_sessions`): a third each.
    const active = this.sessionList(filter, DETAILED_SESSIONS, listBytes / 3);
    const recent = takeWithinBytes(
      this.recent.newestFirst().filter((event) => matchesFilter(event, filter)),
      listBytes - 2 * active.bytes,
      eventBytes,
    );
    return {
      summary,
      sessions: active.sessions,
      active_sessions: active.sessions,
      active_sessions_total: active.total_count,
      active_sessions_truncated: active.truncated,
      country_breakdown,
      device_breakdown,
      top_pages,
      recent_events: recent.items.map(toEventView),
      recent_events_truncated: recent.truncated,
      visitors_last_minute: this.sessions.seenCount(now),
      generated_at: new Date(now).toISOString(),
    };
  }

  exportState(): AnalyticsStoreState {
    return this.exportWith(this.sessions.exportState());
  }

  /**
   * As `exportState`, the sessions (the long part) as iterators read later: only while the pipeline
   * is held. The rest is copied now: reads prune the visitor window.
   */
  exportLazily(): unknown {
    return this.exportWith(this.sessions.exportLazily());
  }

  private exportWith<S>(sessions: S) {
    return {
      sessions,
      today: this.today.exportState(),
      visitors: this.sessions.exportSeen(),
      visitorsNow: this.visitorsNow.exportState(),
      eventRate: this.eventRate.exportState(),
      recent: this.recent.newestFirst(),
      eventsReceived: this.eventsReceived,
    };
  }

  importState(state: AnalyticsStoreState | undefined): void {
    if (!state) return;
    this.sessions.importState(state.sessions);
    this.today.importState(state.today);
    this.sessions.importSeen(state.visitors);
    // Absent in snapshots written before it was kept: it fills again within 5 minutes.
    this.visitorsNow.importState(state.visitorsNow);
    this.eventRate.importState(state.eventRate);
    this.recent.clear();
    for (const event of [...state.recent].reverse()) this.recent.push(event);
    this.eventsReceived = state.eventsReceived;
  }

  status() {
    const now = this.clock.now();
    return {
      events_received: this.eventsReceived,
      events_last_minute: this.eventRate.total(now),
      events_per_second: Math.round((this.eventRate.total(now) / 60) * 100) / 100,
      active_sessions: { count: this.sessions.count({}, now), max: this.sessions.capacity },
      live_state: { bytes: this.sessions.bytes, max_bytes: this.sessions.maxBytes },
      today: this.today.fill(),
    };
  }
}
