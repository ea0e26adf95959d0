import { z } from "zod";
import { dimensionFilterSchema } from "./analytics-query.ts";
import {
  currentStatsSchema,
  detailedResponseSchema,
  type sessionLookupSchema,
  sessionSchema,
  visitorEventSchema,
} from "./responses.ts";

// The WebSocket protocol in both directions: what a dashboard may send, and every frame the
// server sends. The server serialises through `FrameData<T>`, the dashboard and the tests read
// `ServerFrame`, and docs/websocket.md's table is checked against SERVER_FRAME_TYPES.

// ---- Dashboard to server ----

/**
 * Messages a dashboard sends, as validated: the payload's fields beside `type`. On the wire the
 * payload goes in `data` (Footfall's dashboard); the earlier system's clients put it at the top level
 * (`{"type":"request_detailed_stats","filter":{...}}`), and `flattenDashboardFrame` reads both.
 */
export const dashboardMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("request_detailed_stats"),
    filter: dimensionFilterSchema.optional(),
  }),
  z.object({
    type: z.literal("subscribe"),
    filter: dimensionFilterSchema.default({}),
    /** Coalesce past the frame budget into `visitor_batch` (absent: keep the connection's choice). */
    batch: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("track_dashboard_action"),
    action: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[\w.:-]+$/, { message: "letters, digits, _ . : - only" }),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({ type: z.literal("ping") }),
]);

export type DashboardMessage = z.output<typeof dashboardMessageSchema>;
export type DashboardMessageType = DashboardMessage["type"];

type MessageInput<T extends DashboardMessageType> = Omit<
  Extract<z.input<typeof dashboardMessageSchema>, { type: T }>,
  "type"
>;

/** A message as Footfall's dashboard frames it: the payload in `data` (none for `ping`). */
export type ClientMessage = {
  [T in DashboardMessageType]: keyof MessageInput<T> extends never
    ? { type: T }
    : { type: T; data: MessageInput<T> };
}[DashboardMessageType];

export const DASHBOARD_MESSAGE_TYPES: readonly DashboardMessageType[] =
  dashboardMessageSchema.options.map((option) => option.shape.type.value);

/** Lifts `data` up so both framings (payload in `data`, or at the top level) parse as one. */
export function flattenDashboardFrame(frame: unknown): unknown {
  if (frame === null || typeof frame !== "object" || Array.isArray(frame)) return frame;
  const { data, ...rest } = frame as { data?: unknown };
  if (data !== null && typeof data === "object" && !Array.isArray(data)) {
    return { ...data, ...rest };
  }
  return rest;
}

/**
 * Whether the upgrade asked for coalescing: `?batch=1` (or `true`) on the WebSocket URL. Without
 * it every event goes out as its own `visitor_update` + `session_activity`, as the earlier system's server
 * sent them (its dashboards know no `visitor_batch`).
 */
export function wantsBatching(url: URL): boolean {
  const value = url.searchParams.get("batch");
  return value === "1" || value === "true";
}

/**
 * The log position a reconnecting dashboard last saw (`?since=<position>`): undefined when absent,
 * null when it is not a position at all (answered with `resync`, as an unknown position is).
 */
export function resumePosition(url: URL): number | null | undefined {
  const value = url.searchParams.get("since");
  if (value === null) return undefined;
  return /^\d{1,15}$/.test(value) ? Number(value) : null;
}

// ---- Server to dashboard ----

/**
 * An event as frames carry it: as the client submitted it (`metadata` untouched), `timestamp` the
 * client's clock or else the receive time, and `position`, its place in the event log (the last
 * one a dashboard saw is what it resumes from: `?since=<position>`).
 */
export const eventFrameSchema = visitorEventSchema.extend({
  position: z.number().int().positive(),
});

export const liveStatsSchema = currentStatsSchema.extend({
  visitors_last_minute: z.number().int(),
});

export const sessionEndedSchema = sessionSchema.extend({
  reason: z.enum(["timeout", "ended", "evicted"]),
});

export const alertSchema = z.object({
  kind: z.enum(["spike", "spike_ended", "drop", "drop_ended", "milestone"]),
  level: z.enum(["info", "warning"]),
  message: z.string(),
  details: z.record(z.string(), z.union([z.number(), z.string()])),
  timestamp: z.string(),
  /** A site rule's alert (docs/alerts.md): its id, rule and site; absent on the server-wide ones. */
  id: z.string().optional(),
  rule_id: z.number().int().nullable().optional(),
  site: z.string().nullable().optional(),
  /** Sent on connect to tell the state (a spike in progress, today's last milestone). */
  replayed: z.literal(true).optional(),
});

export const dashboardErrorSchema = z.object({
  code: z.enum(["invalid_json", "unknown_message", "validation_error", "rate_limited"]),
  message: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

const frame = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.strictObject({ type: z.literal(type), data });

/** Every frame the server sends; docs/websocket.md's frame table lists the same types. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  frame(
    "user_connected",
    z.strictObject({ total_dashboards: z.number().int(), connected_at: z.string() }),
  ),
  frame("user_disconnected", z.strictObject({ total_dashboards: z.number().int() })),
  frame("visitor_update", z.strictObject({ event: eventFrameSchema, stats: liveStatsSchema })),
  /** With each `visitor_update`, and each item of a batch's `sessions`: the journey's newest pages. */
  frame("session_activity", sessionSchema),
  frame(
    "visitor_batch",
    z.strictObject({
      events: z.array(eventFrameSchema),
      sessions: z.array(sessionSchema),
      /** Sessions that ended while this feed was over its frame budget. */
      ended: z.array(sessionEndedSchema).optional(),
      stats: liveStatsSchema,
      dropped: z.number().int().positive().optional(),
    }),
  ),
  frame("session_ended", sessionEndedSchema),
  frame("alert", alertSchema),
  frame("detailed_stats_response", detailedResponseSchema.shape.data),
  frame("subscribed", z.strictObject({ filter: dimensionFilterSchema, batch: z.boolean() })),
  frame("action_tracked", z.strictObject({ action: z.string(), count: z.number().int() })),
  frame("pong", z.strictObject({ timestamp: z.string() })),
  frame("error", dashboardErrorSchema),
  /**
   * To a dashboard that connected with `?since=<position>`, before any other event frame: the
   * events committed after that position, in log order, in frames of at most 500 events and
   * 128 KiB. Any feed filter is the dashboard's to apply (it subscribes after connecting).
   */
  frame("missed_events", z.strictObject({ events: z.array(eventFrameSchema) })),
  /**
   * Instead of `missed_events` when the gap is too long (1,000 events or 1 MiB) or the position is not in
   * the log (ahead of it, or its events deleted): reload your state. `position` is the log's now.
   */
  frame(
    "resync",
    z.strictObject({
      reason: z.enum(["too_far_behind", "unknown_position"]),
      position: z.number().int().nonnegative(),
    }),
  ),
  frame("shutdown", z.strictObject({ reason: z.string() })),
]);

export type ServerFrame = z.output<typeof serverFrameSchema>;
export type ServerFrameType = ServerFrame["type"];
/** The `data` of one frame type: the server's sending functions are typed by it. */
export type FrameData<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>["data"];

export const SERVER_FRAME_TYPES: readonly ServerFrameType[] = serverFrameSchema.options.map(
  (option) => option.shape.type.value,
);

export type EventFrame = z.output<typeof eventFrameSchema>;
export type LiveStats = z.output<typeof liveStatsSchema>;
export type SessionActivity = z.output<typeof sessionSchema>;
export type SessionEnded = z.output<typeof sessionEndedSchema>;
/** `GET /api/analytics/sessions/:id`'s session (the dashboard's journey reads it). */
export type SessionLookup = z.output<typeof sessionLookupSchema>;
export type AlertFrame = z.output<typeof alertSchema>;
export type DashboardError = z.output<typeof dashboardErrorSchema>;
export type DetailedStats = FrameData<"detailed_stats_response">;
