import type { Alert, SessionEndReason, SessionView } from "../interfaces/analytics.ts";
import { withListJourney } from "./session-view.ts";

/** `session_ended`, and each item of a batch's `ended`: the session (journey cut) and why. */
export type EndedSession = SessionView & { reason: SessionEndReason };

/** An alert sent to a dashboard as it connects: the state it missed, not a new alert. */
export type ReplayedAlert = Alert & { replayed: true };

export function serialize(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
}

/**
 * `session_activity`'s data: the session as the seed's dashboards read it (`last_activity`,
 * `country`, `device`, ...), its journey cut to the newest pages within LIST_JOURNEY_MAX_BYTES.
 */
export function activityOf(session: SessionView) {
  const { journey, journey_truncated } = withListJourney(session);
  return {
    session_id: session.session_id,
    current_page: session.current_page,
    journey,
    journey_truncated,
    duration: session.duration,
    country: session.country,
    device: session.device,
    site: session.site,
    page_views: session.page_views,
    started_at: session.started_at,
    last_activity: session.last_activity,
  };
}

export function endedSessionOf(session: SessionView, reason: SessionEndReason): EndedSession {
  return { ...withListJourney(session), reason };
}

/**
 * A `visitor_update` frame from JSON already serialised: the event's once for every feed, the
 * stats' once per change of state (the store caches it). `stats` also carries
 * `visitors_last_minute`, added to the store's object here.
 */
export function visitorUpdateFrame(
  eventJson: string,
  statsJson: string,
  visitorsLastMinute: number,
): string {
  const stats = `${statsJson.slice(0, -1)},"visitors_last_minute":${visitorsLastMinute}}`;
  return `{"type":"visitor_update","data":{"event":${eventJson},"stats":${stats}}}`;
}

/**
 * A `visitor_batch` frame from events and session activities already serialised (each once, and
 * measured against the batch's byte budget as it was), and the rest of its data.
 */
export function visitorBatchFrame(
  eventsJson: readonly string[],
  sessionsJson: readonly string[],
  rest: Record<string, unknown>,
): string {
  const tail = JSON.stringify(rest).slice(1);
  const events = `[${eventsJson.join(",")}]`;
  const sessions = `[${sessionsJson.join(",")}]`;
  return `{"type":"visitor_batch","data":{"events":${events},"sessions":${sessions},${tail}}`;
}

export function replayed(alert: Alert): ReplayedAlert {
  return { ...alert, replayed: true };
}
