// The WebSocket protocol as the dashboard reads it: every type comes from the one protocol module
// (schemas/websocket-protocol.ts, imported for types only, so no zod reaches the browser), and
// the filter rule is the server's own (schemas/filter-match.ts).
import type { AlertFrame, EventFrame, ServerFrame } from "../schemas/websocket-protocol.ts";

export type { DimensionFilter, SessionView } from "../interfaces/analytics.ts";
export { isEmptyFilter, matchesFilter } from "../schemas/filter-match.ts";
export type {
  ClientMessage,
  DetailedStats,
  LiveStats,
  ServerFrame,
  SessionActivity,
  SessionEnded,
  SessionLookup,
} from "../schemas/websocket-protocol.ts";

/** An event as frames carry it: as submitted, `timestamp` never null, and its log `position`. */
export type VisitorEvent = EventFrame;
/** An event in the feed: from a frame (with its position) or a detailed answer (without). */
export type ShownEvent = Omit<EventFrame, "position"> & { position?: number };
/** `alert`; `replayed` when sent on connect to tell the state (a spike in progress, today's last milestone). */
export type Alert = AlertFrame;

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
