import type {
  Alert,
  SessionEndReason,
  SessionView,
  VisitorEvent,
} from "../interfaces/analytics.ts";
import type {
  EventFrame,
  FrameData,
  ServerFrameType,
  SessionActivity,
  SessionEnded,
} from "../schemas/websocket-protocol.ts";
import { toEventView } from "./event-view.ts";
import { withListJourney } from "./session-view.ts";

// Every frame the server sends is built here, typed by its frame type (schemas/websocket-protocol.ts):
// `serialize("visitor_updat", ...)` or a wrong data shape does not compile.

export function serialize<T extends ServerFrameType>(type: T, data: FrameData<T>): string {
  return JSON.stringify({ type, data });
}

/**
 * An event as frames carry it: its view (`toEventView`) and its log position, in one copy (two
 * copies cost a fifth of its frame JSON, built for every event while a dashboard is connected).
 */
export function eventFrameOf(event: VisitorEvent, position: number | undefined): EventFrame {
  // Only an event that did not come through the event log lacks a position (none in production).
  if (position === undefined) return toEventView(event) as EventFrame;
  const timestamp = event.timestamp === null ? event.received_at : event.timestamp;
  return { ...event, timestamp, position } as EventFrame;
}

/**
 * `session_activity`'s data: the session as the earlier system's dashboard reads it (`last_activity`,
 * `country`, `device`, ...), its journey cut to the newest pages within LIST_JOURNEY_MAX_BYTES.
 */
export function activityOf(session: SessionView): SessionActivity {
  return withListJourney(session);
}

/** `session_ended`, and each item of a batch's `ended`: the session (journey cut) and why. */
export function endedSessionOf(session: SessionView, reason: SessionEndReason): SessionEnded {
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

/** What a `visitor_batch` carries beside its events and sessions. */
type BatchRest = Omit<FrameData<"visitor_batch">, "events" | "sessions">;

/**
 * A `visitor_batch` frame from events and session activities already serialised (each once, and
 * measured against the batch's byte budget as it was), and the rest of its data.
 */
export function visitorBatchFrame(
  eventsJson: readonly string[],
  sessionsJson: readonly string[],
  rest: BatchRest,
): string {
  const tail = JSON.stringify(rest).slice(1);
  const events = `[${eventsJson.join(",")}]`;
  const sessions = `[${sessionsJson.join(",")}]`;
  return `{"type":"visitor_batch","data":{"events":${events},"sessions":${sessions},${tail}}`;
}

/** `missed_events` from events already serialised. */
export function missedEventsFrame(eventsJson: readonly string[]): string {
  return `{"type":"missed_events","data":{"events":[${eventsJson.join(",")}]}}`;
}

/** An alert sent to a dashboard as it connects: the state it missed, not a new alert. */
export function replayed(alert: Alert): FrameData<"alert"> {
  return { ...alert, replayed: true };
}
