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

/** Lifts `data` up so both framings parse with one schema. */
export function flattenDashboardFrame(frame: unknown): unknown {
  if (frame === null || typeof frame !== "object" || Array.isArray(frame)) return frame;
  const { data, ...rest } = frame as { data?: unknown };
  if (data !== null && typeof data === "object" && !Array.isArray(data)) {
    return { ...data, ...rest };
  }
  return rest;
}
