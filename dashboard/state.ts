import {
  type Alert,
  type DetailedStats,
  type DimensionFilter,
  type LiveStats,
  matchesFilter,
  type ServerFrame,
  type SessionActivity,
  type SessionView,
  type ShownEvent,
} from "./protocol.ts";
import { VisitorsPerMinute } from "./visitors-per-minute.ts";

export const FEED_LIMIT = 100;
const MINUTE_MS = 60_000;
export const ALERT_LIMIT = 50;
/** Sessions remembered for the list; the server keeps them all, this is only the view. */
export const SESSION_LIMIT = 1000;

export type ConnectionStatus = "Connected" | "Reconnecting" | "Disconnected";

/** Parts of the page; a change marks the ones to redraw on the next animation frame. */
export type ViewPart =
  | "status"
  | "dashboards"
  | "counters"
  | "chart"
  | "breakdowns"
  | "feed"
  | "sessions"
  | "journey"
  | "alerts"
  | "filter"
  | "notice";

export interface SessionRow extends SessionActivity {
  /** Server time (ms) of its latest event; orders the list. */
  lastSeen: number;
}

/** One point of the timeseries API's answer. */
export interface MinutePoint {
  t: string;
  visitors: number;
}

export interface Counters {
  active: number;
  lastMinute: number;
  today: number;
}

/**
 * Everything the dashboard shows, fed by server frames. It never touches the DOM: each change
 * marks the parts of the view it affects, and the renderer draws them once per animation frame.
 */
export class DashboardState {
  status: ConnectionStatus = "Disconnected";
  dashboards: number | undefined;
  counters: Counters | undefined;
  pages: Record<string, number> = {};
  countries = new Map<string, number>();
  devices = new Map<string, number>();
  /** Newest first. */
  feed: ShownEvent[] = [];
  readonly sessions = new Map<string, SessionRow>();
  readonly visitors = new VisitorsPerMinute();
  rangeMinutes = 10;
  /** Newest first. */
  alerts: Alert[] = [];
  filter: DimensionFilter = {};
  selectedSession: string | undefined;
  /** The selected session as last known: still shown once it has ended. */
  journeySnapshot: SessionRow | undefined;
  journeyNote: string | undefined;
  notice: string | undefined;
  /**
   * The last log position received: a reconnection resumes from it (`?since=`), and an event at
   * or before it (sent again by a feed after a resume or a subscription) is not applied twice.
   */
  position: number | undefined;

  /** Events received at or before this (server time) stay out of a cleared feed and chart. */
  private clearedAt = 0;
  private newestSeen = 0;
  /** Stored minutes starting at or before this one's minute were cleared from the chart. */
  private historyCutoff = 0;
  /** Subscriptions sent and not yet confirmed: frames until then belong to the old filter. */
  private pendingSubscriptions = 0;
  private readonly dirty = new Set<ViewPart>();
  private listener: () => void = () => {};

  onChange(listener: () => void): void {
    this.listener = listener;
  }

  /** The parts changed since the last call. */
  takeDirty(): Set<ViewPart> {
    const parts = new Set(this.dirty);
    this.dirty.clear();
    return parts;
  }

  receive(frame: ServerFrame): void {
    switch (frame.type) {
      case "user_connected":
      case "user_disconnected":
        this.dashboards = frame.data.total_dashboards;
        this.mark("dashboards");
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
        for (const ended of frame.data.ended ?? []) this.endSession(ended.session_id, ended.reason);
        if (this.pendingSubscriptions === 0) this.applyStats(frame.data.stats);
        return;
      case "missed_events":
        this.applyEvents(frame.data.events);
        return;
      case "resync":
        // Further behind than the server replays: start again from its figures and history.
        this.position = frame.data.position;
        this.feed = [];
        this.sessions.clear();
        this.visitors.clear();
        this.mark("feed", "sessions", "chart");
        return;
      case "session_ended":
        this.endSession(frame.data.session_id, frame.data.reason);
        return;
      case "alert":
        this.applyAlert(frame.data);
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
    this.mark("status");
  }

  setNotice(notice: string | undefined): void {
    this.notice = notice;
    this.mark("notice");
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
    this.feed = [];
    this.sessions.clear();
    this.visitors.clear();
    this.countries = new Map();
    this.devices = new Map();
    this.pages = {};
    this.counters = undefined;
    this.mark("filter", "counters", "chart", "breakdowns", "feed", "sessions", "journey");
  }

  /**
   * Visitors per minute from `GET /api/analytics/timeseries`, so a page opened just now shows the
   * minutes before it. An answer for an earlier filter, or minutes up to a Clear view, are left out.
   */
  applyHistory(filter: DimensionFilter, points: readonly MinutePoint[]): void {
    if (!sameFilter(filter, this.filter)) return;
    const clearedMinute = Math.floor(this.historyCutoff / MINUTE_MS) * MINUTE_MS;
    for (const point of points) {
      const start = Date.parse(point.t);
      if (this.historyCutoff > 0 && start <= clearedMinute) continue;
      this.visitors.setStored(start, point.visitors);
    }
    this.mark("chart");
  }

  setRange(minutes: number): void {
    this.rangeMinutes = minutes;
    this.mark("chart");
  }

  /** Time moves the chart even when no event arrives. */
  tick(): void {
    this.mark("chart");
  }

  /** Empties this page's feed, chart and alerts; the server's data is untouched. */
  clearView(): void {
    this.clearedAt = this.newestSeen;
    // Stored minutes up to now stay out too, even if no event had arrived yet.
    this.historyCutoff = Math.max(this.newestSeen, Date.now());
    this.feed = [];
    this.visitors.clear();
    this.alerts = [];
    this.selectSession(undefined);
    this.mark("feed", "chart", "alerts");
  }

  selectSession(sessionId: string | undefined): void {
    this.selectedSession = sessionId;
    this.journeySnapshot = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    this.journeyNote = undefined;
    this.mark("journey", "sessions");
  }

  /** The whole session as `GET /api/analytics/sessions/:id` returned it. */
  showSession(session: SessionView): void {
    if (session.session_id !== this.selectedSession) return;
    const row = this.upsertSession(session, Date.parse(session.last_activity));
    this.journeySnapshot = row;
    this.mark("sessions", "journey");
  }

  sessionGone(sessionId: string): void {
    if (sessionId !== this.selectedSession) return;
    this.journeyNote = "This session is no longer active; this is its journey as last seen.";
    this.mark("journey");
  }

  journeyUnavailable(sessionId: string, reason: string): void {
    if (sessionId !== this.selectedSession) return;
    this.journeyNote = reason;
    this.mark("journey");
  }

  /**
   * A replayed alert (the state sent on connect) already listed from before a reconnection is
   * not listed twice; a spike's replay is timestamped when the spike began, as its alert was.
   */
  private applyAlert(alert: Alert): void {
    if (
      alert.replayed &&
      this.alerts.some((known) => known.kind === alert.kind && known.timestamp === alert.timestamp)
    ) {
      return;
    }
    this.alerts = [alert, ...this.alerts].slice(0, ALERT_LIMIT);
    this.mark("alerts");
  }

  /**
   * Events from frames: each applied once (by log position), and only those under this view's
   * filter (the feed a new connection starts on, or one being left, may carry others).
   */
  private applyEvents(received: readonly ShownEvent[]): void {
    const events = received.filter((event) => {
      const { position } = event;
      if (position !== undefined) {
        if (this.position !== undefined && position <= this.position) return false;
        this.position = position;
      }
      return matchesFilter(event, this.filter);
    });
    if (events.length === 0) return;
    for (const event of events) {
      const at = Date.parse(event.received_at);
      if (at > this.newestSeen) this.newestSeen = at;
      if (event.type !== "session_end") this.visitors.add(event.session_id, at);
      if (event.type === "pageview") {
        increment(this.countries, event.country);
        increment(this.devices, event.device);
      }
      this.touchSession(event, at);
    }
    const newest = events.slice(-FEED_LIMIT).reverse();
    this.feed = newest.concat(this.feed.slice(0, FEED_LIMIT - newest.length));
    this.mark("feed", "chart", "breakdowns", "sessions");
  }

  private applyStats(stats: LiveStats): void {
    this.counters = {
      active: stats.total_active,
      lastMinute: stats.visitors_last_minute,
      today: stats.total_today,
    };
    this.pages = stats.pages_visited;
    this.mark("counters", "breakdowns");
  }

  private applyActivity(activity: SessionActivity): void {
    if (!matchesFilter(activity, this.filter)) return;
    this.upsertSession(activity, Date.parse(activity.last_activity));
    this.mark("sessions");
  }

  private applyDetailed(details: DetailedStats): void {
    // An answer to a request sent under an earlier filter.
    if (!sameFilter(details.filters_applied, this.filter)) return;
    const { summary } = details;
    this.counters = {
      active: summary.total_active,
      lastMinute: details.visitors_last_minute,
      today: summary.total_today,
    };
    this.pages = summary.pages_visited;
    // The breakdown answers for every country; a country filter shows only its own.
    const countries = Object.entries(details.country_breakdown).filter(
      ([country]) => this.filter.country === undefined || country === this.filter.country,
    );
    this.countries = new Map(countries);
    this.devices = new Map(Object.entries(details.device_breakdown));

    // The list holds the first 50; only when it holds them all can it tell who has left.
    if (details.active_sessions.length >= details.active_sessions_total) {
      const active = new Set(details.active_sessions.map((session) => session.session_id));
      for (const id of this.sessions.keys()) if (!active.has(id)) this.sessions.delete(id);
    }
    for (const session of details.active_sessions) {
      this.upsertSession(session, Date.parse(session.last_activity));
    }

    // Recent events are not filtered by the server.
    const known = new Set(this.feed.map(eventKey));
    const missed = details.recent_events.filter(
      (event) =>
        matchesFilter(event, this.filter) &&
        Date.parse(event.received_at) > this.clearedAt &&
        !known.has(eventKey(event)),
    );
    for (const event of missed) {
      const at = Date.parse(event.received_at);
      if (at > this.newestSeen) this.newestSeen = at;
      if (event.type !== "session_end") this.visitors.add(event.session_id, at);
    }
    if (missed.length > 0) {
      this.feed = [...this.feed, ...missed]
        .sort((a, b) => Date.parse(b.received_at) - Date.parse(a.received_at))
        .slice(0, FEED_LIMIT);
    }
    this.mark("counters", "breakdowns", "sessions", "feed", "chart", "journey", "filter");
  }

  private touchSession(event: ShownEvent, at: number): void {
    if (event.type === "session_end") {
      this.endSession(event.session_id, "ended");
      return;
    }
    const row = this.sessions.get(event.session_id);
    if (row) {
      row.lastSeen = Math.max(row.lastSeen, at);
      row.current_page = event.page;
      return;
    }
    // Until its session_activity arrives (right after, or in the same batch).
    const pageview = event.type === "pageview";
    this.upsertSession(
      {
        session_id: event.session_id,
        current_page: event.page,
        journey: pageview ? [event.page] : [],
        journey_truncated: false,
        duration: 0,
        country: event.country,
        device: event.device,
        site: event.site,
        page_views: pageview ? 1 : 0,
        started_at: event.received_at,
        last_activity: event.received_at,
      },
      at,
    );
  }

  private upsertSession(activity: SessionActivity, lastSeen: number | undefined): SessionRow {
    const previous = this.sessions.get(activity.session_id);
    const row: SessionRow = {
      session_id: activity.session_id,
      current_page: activity.current_page,
      journey: activity.journey,
      journey_truncated: activity.journey_truncated,
      duration: activity.duration,
      country: activity.country,
      device: activity.device,
      site: activity.site,
      page_views: activity.page_views,
      started_at: activity.started_at,
      last_activity: activity.last_activity,
      lastSeen: Math.max(lastSeen || 0, previous?.lastSeen ?? 0) || this.newestSeen || Date.now(),
    };
    this.sessions.set(row.session_id, row);
    if (row.session_id === this.selectedSession) {
      this.journeySnapshot = row;
      this.mark("journey");
    }
    if (this.sessions.size > SESSION_LIMIT) this.forgetOldestSession();
    return row;
  }

  private endSession(sessionId: string, reason: string): void {
    if (this.sessions.delete(sessionId)) this.mark("sessions");
    if (sessionId === this.selectedSession) {
      this.journeyNote = `This session has ended (${reason}); this is its journey as last seen.`;
      this.mark("journey");
    }
  }

  private forgetOldestSession(): void {
    let oldest: SessionRow | undefined;
    for (const row of this.sessions.values()) {
      if (!oldest || row.lastSeen < oldest.lastSeen) oldest = row;
    }
    if (oldest) this.sessions.delete(oldest.session_id);
  }

  private mark(...parts: ViewPart[]): void {
    for (const part of parts) this.dirty.add(part);
    this.listener();
  }
}

export function sameFilter(a: DimensionFilter, b: DimensionFilter): boolean {
  return a.country === b.country && a.page === b.page && a.site === b.site;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function eventKey(event: ShownEvent): string {
  return `${event.received_at}\u0001${event.session_id}\u0001${event.type}\u0001${event.page}`;
}
