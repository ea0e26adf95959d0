import { z } from "zod";

/** Success bodies, for the OpenAPI document (the routes build these shapes). */
export const currentStatsSchema = z
  .object({
    total_active: z.number().int(),
    total_today: z.number().int(),
    pages_visited: z.record(z.string(), z.number().int()),
  })
  .meta({ id: "CurrentStats" });

export const eventAcceptedSchema = z
  .object({
    success: z.literal(true),
    message: z.string(),
    data: z.union([
      z.object({ session_id: z.string(), current_stats: currentStatsSchema }),
      z.object({ accepted: z.number().int(), current_stats: currentStatsSchema }),
    ]),
  })
  .meta({ id: "EventAccepted" });

export const sessionSchema = z
  .object({
    session_id: z.string(),
    site: z.string(),
    current_page: z.string(),
    journey: z.array(z.string()),
    journey_truncated: z.boolean(),
    duration: z.number().int().describe("seconds from the first to the last event"),
    country: z.string(),
    device: z.string(),
    started_at: z.iso.datetime(),
    last_activity: z.iso.datetime(),
    page_views: z.number().int(),
  })
  .meta({ id: "Session" });

export const summaryResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.object({
      summary: currentStatsSchema,
      filters_applied: z.record(z.string(), z.string()),
      generated_at: z.iso.datetime(),
    }),
  })
  .meta({ id: "SummaryResponse" });

export const sessionsResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.object({ sessions: z.array(sessionSchema), total_count: z.number().int() }),
  })
  .meta({ id: "SessionsResponse" });

export const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "shutting_down"]),
    uptime: z.number(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: "Health" });

export const timeseriesResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.object({
      interval: z.enum(["minute", "hour", "day"]),
      from: z.iso.datetime(),
      to: z.iso.datetime(),
      points: z.array(
        z.object({ t: z.iso.datetime(), pageviews: z.number().int(), visitors: z.number().int() }),
      ),
    }),
  })
  .meta({ id: "TimeseriesResponse" });

export const topResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.object({
      dimension: z.string(),
      from: z.iso.date(),
      to: z.iso.date(),
      items: z.array(
        z.object({ key: z.string(), pageviews: z.number().int(), visitors: z.number().int() }),
      ),
    }),
  })
  .meta({ id: "TopResponse" });

export const customerVisitCountSchema = z.object({
  count: z.number().int(),
  devices: z.number().int(),
});
export const overallVisitCountSchema = z.object({
  count: z.number().int(),
  unique_customers: z.number().int(),
});
export const countryCountsSchema = z.record(z.string(), z.number().int());
export const messageSchema = z.object({ message: z.string() });
export const dataEnvelopeSchema = z.object({
  success: z.literal(true),
  data: z.record(z.string(), z.unknown()),
});
