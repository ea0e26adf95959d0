import type {
  Alert as AlertData,
  CurrentStats,
  DimensionFilter,
  SessionEndReason,
  SessionView,
  VisitorEvent as StoredEvent,
} from "../interfaces/analytics.ts";

export type { DimensionFilter, SessionView };

/**
 * An event as frames carry it: as the client submitted it (`metadata` untouched), `timestamp`
 * the client's clock or else the receive time (never null), `received_at` beside it.
 */
export type VisitorEvent = Omit<StoredEvent, "timestamp"> & { timestamp: string };

/** `alert`; `replayed` when sent on connect to tell the state (a spike in progress, today's last milestone). */
export type Alert = AlertData & { replayed?: boolean };

/** `stats` of `visitor_update` and `visitor_batch`. */
export interface LiveStats extends CurrentStats {
  visitors_last_minute: number;
}

/**
 * `session_activity`, and each item of a batch's `sessions`: the session with its journey's
 * newest pages (`journey_truncated` when older ones were left out).
 */
export type SessionActivity = Pick<
  SessionView,
  | "session_id"
  | "current_page"
  | "journey"
  | "journey_truncated"
  | "duration"
  | "country"
  | "device"
  | "site"
  | "page_views"
  | "started_at"
  | "last_activity"
>;

/**
 * `detailed_stats_response`: `/api/analytics/detailed` plus the filter it answered. `sessions`
 * (what the seed's dashboards read) and `active_sessions` are the same list.
 */
export interface DetailedStats {
  summary: CurrentStats;
  sessions: SessionView[];
  active_sessions: SessionView[];
  active_sessions_total: number;
  country_breakdown: Record<string, number>;
  device_breakdown: Record<string, number>;
  top_pages: { page: string; views: number }[];
  recent_events: VisitorEvent[];
  visitors_last_minute: number;
  generated_at: string;
  filters_applied: DimensionFilter;
}

/** `session_ended`, and each item of a batch's optional `ended`. */
export type SessionEnded = SessionView & { reason: SessionEndReason };

/** Every frame the server sends, as README's WebSocket protocol lists them. */
export type ServerFrame =
  | { type: "user_connected"; data: { total_dashboards: number; connected_at: string } }
  | { type: "user_disconnected"; data: { total_dashboards: number } }
  | { type: "visitor_update"; data: { event: VisitorEvent; stats: LiveStats } }
  | { type: "session_activity"; data: SessionActivity }
  | {
      type: "visitor_batch";
      data: {
        events: VisitorEvent[];
        sessions: SessionActivity[];
        stats: LiveStats;
        dropped?: number;
        /** Sessions that ended while this feed was over its frame budget. */
        ended?: SessionEnded[];
      };
    }
  | { type: "session_ended"; data: SessionEnded }
  | { type: "alert"; data: Alert }
  | { type: "detailed_stats_response"; data: DetailedStats }
  | { type: "subscribed"; data: { filter: DimensionFilter; batch: boolean } }
  | { type: "action_tracked"; data: { action: string; count: number } }
  | { type: "pong"; data: { timestamp: string } }
  | { type: "error"; data: { code: string; message: string; details?: unknown } }
  | { type: "shutdown"; data: { reason: string } };

export type ClientMessage =
  | { type: "request_detailed_stats"; data: { filter: DimensionFilter } }
  | { type: "subscribe"; data: { filter: DimensionFilter; batch?: boolean } }
  | { type: "track_dashboard_action"; data: { action: string; details?: Record<string, unknown> } }
  | { type: "ping" };

/**
 * Reads one frame. The server is trusted for shapes; this only guards against a frame that is
 * not `{type, data}` at all (a proxy's error page, say), which is ignored.
 */
export function parseFrame(raw: unknown): ServerFrame | undefined {
  if (typeof raw !== "string") return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (frame === null || typeof frame !== "object") return undefined;
  const { type, data } = frame as { type?: unknown; data?: unknown };
  if (typeof type !== "string" || data === null || typeof data !== "object") return undefined;
  return frame as ServerFrame;
}

/** Whether a frame tells of sessions that ended (their going lowers counters no frame carries). */
export function endsSessions(frame: ServerFrame): boolean {
  if (frame.type === "session_ended") return true;
  return frame.type === "visitor_batch" && (frame.data.ended?.length ?? 0) > 0;
}

/** Same rule as the server's feeds: every dimension the filter names must be equal. */
export function eventMatches(event: VisitorEvent, filter: DimensionFilter): boolean {
  return (
    (filter.site === undefined || filter.site === event.site) &&
    (filter.country === undefined || filter.country === event.country) &&
    (filter.page === undefined || filter.page === event.page)
  );
}

export function isEmptyFilter(filter: DimensionFilter): boolean {
  return filter.site === undefined && filter.country === undefined && filter.page === undefined;
}
