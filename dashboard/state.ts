import type { ConnectionStatus } from "./connection.ts";
import { DashboardView } from "./dashboard-view.ts";
import {
  type Alert,
  type DetailedStats,
  type DimensionFilter,
  type LiveStats,
  matchesFilter,
  type ServerFrame,
  type SessionActivity,
  type SessionLookup,
  type ShownEvent,
} from "./protocol.ts";

/** One point of the timeseries API's answer. */
export interface MinutePoint {
  t: string;
  visitors: number;
}

/**
 * Everything the dashboard shows, fed by server frames: it sends each frame's parts to the
 * feed, the sessions, the figures, the chart and the alerts. It never touches the DOM: each change
 * marks the parts of the view it affects, and the renderer draws them once per animation frame.
 */
export class DashboardState extends DashboardView {
  /** Subscriptions sent and not yet confirmed: frames until then belong to the old filter. */
  private pendingSubscriptions = 0;

  /** Today's alerts from the history, listed with those the connection brought. */
  showEarlierAlerts(alerts: readonly Alert[]): void {
    if (this.recentAlerts.addEarlier(alerts)) this.changes.mark("alerts");
  }

  receive(frame: ServerFrame): void {
    switch (frame.type) {
      case "user_connected":
      case "user_disconnected":
        this.dashboards = frame.data.total_dashboards;
        this.changes.mark("dashboards");
        return;
      case "visitor_update":
        this.applyEvents([frame.data.event]);
        // Until the server confirms a subscription, stats are the old filter's.
        if (this.pendingSubscriptions === 0) this.applyStats(frame.data.stats);
        return;
      case "session_activity":
        this.applyActivity(frame.data);
        return;
      case "visitor_batch":
        this.applyEvents(frame.data.events);
        for (const activity of frame.data.sessions) this.applyActivity(activity);
        for (const ended of frame.data.ended ?? []) {
          this.sessionList.end(ended.session_id, ended.reason, Date.parse(ended.last_activity));
        }
        if (this.pendingSubscriptions === 0) this.applyStats(frame.data.stats);
        return;
      case "missed_events":
        this.applyEvents(frame.data.events);
        return;
      case "resync":
        // Further behind than the server replays: start again from its figures and history.
        this.resume.resetTo(frame.data.position);
        this.eventFeed.clear();
        this.sessionList.clear();
        this.visitors.clear();
        this.changes.mark("feed", "sessions", "chart");
        return;
      case "session_ended":
        this.sessionList.end(
          frame.data.session_id,
          frame.data.reason,
          Date.parse(frame.data.last_activity),
        );
        return;
      case "alert":
        if (this.recentAlerts.add(frame.data)) this.changes.mark("alerts");
        return;
      case "detailed_stats_response":
        this.applyDetailed(frame.data);
        return;
      case "subscribed":
        this.pendingSubscriptions = Math.max(0, this.pendingSubscriptions - 1);
        return;
      case "error":
        // A refused subscription is never confirmed; stop waiting for it rather than drop frames.
        this.pendingSubscriptions = 0;
        this.setNotice(`The server answered: ${frame.data.message}`);
        return;
      case "action_tracked":
      case "pong":
      case "shutdown":
        return;
    }
  }

  setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.changes.mark("status");
  }

  setNotice(notice: string | undefined): void {
    this.notice = notice;
    this.changes.mark("notice");
  }

  /** A new connection starts on the server's default feed; `subscribing` when we re-send ours. */
  connectionOpened(subscribing: boolean): void {
    this.pendingSubscriptions = subscribing ? 1 : 0;
    this.setNotice(undefined);
  }

  /** Narrows the view at once; the server's answers fill it again. */
  applyFilter(filter: DimensionFilter): void {
    this.filter = filter;
    this.pendingSubscriptions++;
    this.eventFeed.clear();
    this.sessionList.clear();
    this.visitors.clear();
    this.figures.clear();
    this.changes.mark("filter", "counters", "chart", "breakdowns", "feed", "sessions", "journey");
  }

  /**
   * Visitors per minute from `GET /api/analytics/timeseries`, so a page opened just now shows the
   * minutes before it. An answer for an earlier filter, or minutes up to a Clear view, are left out.
   */
  applyHistory(filter: DimensionFilter, points: readonly MinutePoint[]): void {
    if (!sameFilter(filter, this.filter)) return;
    for (const point of points) {
      const start = Date.parse(point.t);
      if (this.clearMarks.keepsStoredMinute(start)) this.visitors.setStored(start, point.visitors);
    }
    this.changes.mark("chart");
  }

  setRange(minutes: number): void {
    this.rangeMinutes = minutes;
    this.changes.mark("chart");
  }

  /** Time moves the chart even when no event arrives. */
  tick(): void {
    this.changes.mark("chart");
    this.sweep();
  }

  /** Empties this page's feed, chart and alerts; the server's data is untouched. */
  clearView(): void {
    this.clearMarks.clear(Date.now());
    this.eventFeed.clear();
    this.visitors.clear();
    this.recentAlerts.clear();
    this.sessionList.select(undefined);
    this.changes.mark("feed", "chart", "alerts");
  }

  selectSession(sessionId: string | undefined): void {
    this.sessionList.select(sessionId);
  }

  /** The whole session as `GET /api/analytics/sessions/:id` returned it (active or ended). */
  showSession(session: SessionLookup): void {
    this.sessionList.show(session);
  }

  sessionGone(sessionId: string): void {
    this.sessionList.gone(sessionId);
  }

  journeyUnavailable(sessionId: string, reason: string): void {
    this.sessionList.unavailable(sessionId, reason);
  }

  /**
   * Events from frames: each applied once (by log position), and only those under this view's
   * filter (the feed a new connection starts on, or one being left, may carry others).
   */
  private applyEvents(received: readonly ShownEvent[]): void {
    const events = received.filter(
      (event) => this.resume.advance(event.position) && matchesFilter(event, this.filter),
    );
    if (events.length === 0) return;
    const resumed: string[] = [];
    for (const event of events) {
      const at = Date.parse(event.received_at);
      this.clearMarks.see(at);
      if (event.type !== "session_end") this.visitors.add(event.session_id, at);
      if (event.type === "pageview") this.figures.countPageview(event);
      if (this.sessionList.touch(event, at)) resumed.push(event.session_id);
    }
    this.eventFeed.add(events);
    for (const sessionId of resumed) this.eventFeed.navigated(sessionId);
    this.changes.mark("feed", "chart", "breakdowns", "sessions");
  }

  private applyStats(stats: LiveStats): void {
    this.figures.applyStats(stats);
    this.changes.mark("counters", "breakdowns");
  }

  private applyActivity(activity: SessionActivity): void {
    if (!matchesFilter(activity, this.filter)) return;
    this.sessionList.upsert(activity, Date.parse(activity.last_activity));
    this.changes.mark("sessions");
  }

  private applyDetailed(details: DetailedStats): void {
    // An answer to a request sent under an earlier filter.
    if (!sameFilter(details.filters_applied, this.filter)) return;
    this.figures.applyDetailed(details, this.filter);

    // The list holds the first 50; only when it holds them all can it tell who has left.
    if (details.active_sessions.length >= details.active_sessions_total) {
      this.sessionList.keepOnly(new Set(details.active_sessions.map((s) => s.session_id)));
    }
    const asOf = Date.parse(details.generated_at);
    for (const session of details.active_sessions) {
      this.sessionList.upsert(session, Date.parse(session.last_activity), asOf);
    }

    // Recent events are not filtered by the server.
    const missed = this.eventFeed.unseen(
      details.recent_events.filter(
        (event) =>
          matchesFilter(event, this.filter) &&
          this.clearMarks.keepsEvent(Date.parse(event.received_at)),
      ),
    );
    for (const event of missed) {
      const at = Date.parse(event.received_at);
      this.clearMarks.see(at);
      if (event.type !== "session_end") this.visitors.add(event.session_id, at);
    }
    this.eventFeed.merge(missed);
    this.changes.mark("counters", "breakdowns", "sessions", "feed", "chart", "journey", "filter");
  }
}

export function sameFilter(a: DimensionFilter, b: DimensionFilter): boolean {
  return a.country === b.country && a.page === b.page && a.site === b.site;
}
