import type { ServerWebSocket } from "bun";
import {
  type DashboardError,
  type DashboardMessage,
  type DashboardMessageType,
  dashboardMessageSchema,
  flattenDashboardFrame,
} from "../schemas/websocket-protocol.ts";
import { type MinuteAllowance, newAllowance, takeAllowance } from "./realtime-allowance.ts";
import type { Feed } from "./realtime-feed.ts";

/** One dashboard connection's state, as Bun keeps it on the socket (`ws.data`). */
export interface DashboardSocketData {
  id: number;
  connectedAt: number;
  /** Asked for coalescing (`?batch=1`, or `subscribe` with `batch: true`). */
  batching: boolean;
  /** The log position it last saw, when it reconnected with `?since=` (null: not a position). */
  since?: number | null;
  feed?: Feed;
  /** Every message counts here (WS_MESSAGES_PER_MINUTE). */
  messages: MinuteAllowance;
  /** `request_detailed_stats` also counts here (WS_DETAILED_STATS_PER_MINUTE). */
  detailedRequests: MinuteAllowance;
}

export type DashboardSocket = ServerWebSocket<DashboardSocketData>;

export interface MessageLimits {
  messagesPerMinute: number;
  detailedStatsPerMinute: number;
}

/** What the hub does with each message type: `dispatch` is checked to cover them all. */
export type MessageHandlers = {
  [T in DashboardMessageType]: (message: Extract<DashboardMessage, { type: T }>) => void;
};

export function newSocketData(
  id: number,
  now: number,
  options: { batching: boolean; since?: number | null },
): DashboardSocketData {
  return {
    id,
    connectedAt: now,
    batching: options.batching,
    since: options.since,
    messages: newAllowance(now),
    detailedRequests: newAllowance(now),
  };
}

/**
 * One frame from a dashboard: rate-limited (every message, and detailed answers, which cost far
 * more than the rest, on a tighter allowance of their own), parsed and validated. Either the
 * message to act on, or the error to answer it with (the connection stays open either way).
 */
export function readMessage(
  data: DashboardSocketData,
  raw: string | Buffer,
  now: number,
  limits: MessageLimits,
): { message: DashboardMessage } | { error: DashboardError } {
  if (!takeAllowance(data.messages, now, limits.messagesPerMinute)) {
    return { error: rateLimited(limits.messagesPerMinute, "messages") };
  }
  const parsed = parseDashboardFrame(raw);
  if ("error" in parsed) return parsed;
  if (
    parsed.message.type === "request_detailed_stats" &&
    !takeAllowance(data.detailedRequests, now, limits.detailedStatsPerMinute)
  ) {
    return { error: rateLimited(limits.detailedStatsPerMinute, "request_detailed_stats") };
  }
  return parsed;
}

export function dispatch(message: DashboardMessage, handlers: MessageHandlers): void {
  (handlers[message.type] as (message: DashboardMessage) => void)(message);
}

/** A dashboard's frame as one of the protocol's messages, or the error to answer it with. */
export function parseDashboardFrame(
  raw: string | Buffer,
): { message: DashboardMessage } | { error: DashboardError } {
  let frame: unknown;
  try {
    frame = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
  } catch {
    return { error: { code: "invalid_json", message: "Each frame must be one JSON object" } };
  }
  const parsed = dashboardMessageSchema.safeParse(flattenDashboardFrame(frame));
  if (parsed.success) return { message: parsed.data };
  const type = (frame as { type?: unknown } | null)?.type;
  const known = dashboardMessageSchema.options.some((option) => option.shape.type.value === type);
  if (!known) {
    return {
      error: {
        code: "unknown_message",
        message: `Unknown message type: ${JSON.stringify(type ?? null)}`,
      },
    };
  }
  return {
    error: {
      code: "validation_error",
      message: `Invalid ${String(type)} message`,
      details: parsed.error.issues.map((issue) => ({
        path: issue.path.join("."),
        message: issue.message,
      })),
    },
  };
}

function rateLimited(perMinute: number, what: string): DashboardError {
  return { code: "rate_limited", message: `At most ${perMinute} ${what} a minute` };
}
