import { z } from "zod";
import { dimensionFilterSchema } from "./analytics-query.ts";

/**
 * Messages a dashboard sends. Payloads go in `data`; the seed's clients put them at the
 * top level (`{"type":"request_detailed_stats","filter":{...}}`), which is accepted too.
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

export type DashboardMessage = z.infer<typeof dashboardMessageSchema>;

/**
 * Whether the upgrade asked for coalescing: `?batch=1` (or `true`) on the WebSocket URL. Without
 * it every event goes out as its own `visitor_update` + `session_activity`, as the seed's server
 * sent them (its dashboards know no `visitor_batch`).
 */
export function wantsBatching(url: URL): boolean {
  const value = url.searchParams.get("batch");
  return value === "1" || value === "true";
}

/** Lifts `data` up so both framings parse with one schema. */
export function flattenDashboardFrame(frame: unknown): unknown {
  if (frame === null || typeof frame !== "object" || Array.isArray(frame)) return frame;
  const { data, ...rest } = frame as { data?: unknown };
  if (data !== null && typeof data === "object" && !Array.isArray(data)) {
    return { ...data, ...rest };
  }
  return rest;
}
