import { z } from "zod";
import { EVENT_TYPES } from "./event.ts";

/** Success bodies, for the OpenAPI document (the routes build these shapes). */
const seedStatsShape = {
  total_active: z.number().int(),
  total_today: z.number().int(),
  pages_visited: z
    .record(z.string(), z.number().int())
    .describe(
      "today's views of the most viewed pages (at most STATS_MAX_PAGES, ties by page name, and at most 64 KiB of them), the rest summed as (other)",
    ),
  pages_total: z.number().int().describe("distinct pages viewed today, listed or not"),
};

/** `current_stats` of an ingestion answer: exactly the earlier system's body. */
export const ingestionStatsSchema = z.object(seedStatsShape).meta({ id: "IngestionStats" });

export const currentStatsSchema = z
  .object({
    ...seedStatsShape,
    visitors_right_now: z
      .number()
      .int()
      .describe(
        "distinct visitors (the tracker's daily visitor id, else the user id, else the session; per site) with an event in the last 5 minutes, under the filter by their latest event",
      ),
  })
  .meta({ id: "CurrentStats" });

export const eventAcceptedSchema = z
  .object({
    success: z.literal(true),
    message: z.string(),
    data: z.union([
      z.object({ session_id: z.string(), current_stats: ingestionStatsSchema }),
      z.object({ accepted: z.number().int(), current_stats: ingestionStatsSchema }),
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
    entry_page: z.string().describe("the first page of the visit"),
    source: z
      .string()
      .optional()
      .describe(
        "where the visit came from: its campaign's utm_source, else its referrer's host (named when well known), else `Direct / None`; absent for sessions archived before it was kept",
      ),
    title: z.string().optional().describe("the current page's title, when its pageview sent one"),
    // The visit's first known values (tracker events fill them from the request).
    referrer: z.string().optional(),
    utm_source: z.string().optional(),
    utm_medium: z.string().optional(),
    utm_campaign: z.string().optional(),
    utm_content: z.string().optional(),
    utm_term: z.string().optional(),
    browser: z.string().optional(),
    os: z.string().optional(),
    region: z.string().optional(),
    city: z.string().optional(),
  })
  .meta({ id: "Session" });

/** A session looked up by id: active, or ended (then with when and why). */
export const sessionLookupSchema = sessionSchema
  .extend({
    ended_at: z.iso
      .datetime()
      .optional()
      .describe(
        "only for a session that has ended: when (a timed-out one: when its timeout ran out)",
      ),
    end_reason: z
      .enum(["timeout", "ended", "evicted"])
      .optional()
      .describe("only for a session that has ended: `ended` (session_end), `timeout` or `evicted`"),
  })
  .meta({ id: "SessionLookup" });

const filtersAppliedSchema = z
  .record(z.string(), z.string())
  .describe("the filters given (country, page, site), and only those");

export const sessionsResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.object({
      sessions: z
        .array(sessionSchema)
        .describe(
          "most recently active first, at most `limit` and at most ANSWER_MAX_BYTES (256 KiB) of them, never none; in this list a journey shows its newest pages within 8 KiB (journey_truncated)",
        ),
      total_count: z.number().int().describe("every match, listed or not"),
      truncated: z
        .boolean()
        .describe("true when matches within `limit` were left out to keep the answer in budget"),
      filters_applied: filtersAppliedSchema,
      retrieved_at: z.iso.datetime(),
    }),
  })
  .meta({ id: "SessionsResponse" });

export const sessionResponseSchema = z
  .object({ success: z.literal(true), data: z.object({ session: sessionLookupSchema }) })
  .meta({ id: "SessionResponse" });

/** An accepted event as the server keeps it (also the `event` of `visitor_update` frames). */
export const visitorEventSchema = z
  .strictObject({
    type: z.enum(EVENT_TYPES),
    name: z.string().optional(),
    page: z.string(),
    host: z.string().optional(),
    title: z.string().optional(),
    session_id: z.string(),
    site: z.string(),
    country: z.string(),
    device: z.string(),
    referrer: z.string().optional(),
    user_id: z.string().optional(),
    utm_source: z.string().optional(),
    utm_medium: z.string().optional(),
    utm_campaign: z.string().optional(),
    utm_content: z.string().optional(),
    utm_term: z.string().optional(),
    source: z
      .string()
      .optional()
      .describe("tracker events: the referrer's host, named when well known, or `Direct / None`"),
    browser: z.string().optional().describe("tracker events: from the User-Agent"),
    browser_version: z.string().optional().describe("tracker events: the major version"),
    os: z.string().optional().describe("tracker events: from the User-Agent"),
    os_version: z.string().optional().describe("tracker events: the major version"),
    visitor_id: z
      .string()
      .optional()
      .describe(
        "tracker events: a hash of the day's random salt, the site, the IP and the User-Agent",
      ),
    region: z.string().optional().describe("tracker events, with a City GEOIP_DATABASE"),
    city: z.string().optional().describe("tracker events, with a City GEOIP_DATABASE"),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    timestamp: z
      .string()
      .describe("the client's clock as sent; the server's receive time when it sent none"),
    received_at: z.iso.datetime().describe("the server's receive time"),
  })
  .meta({ id: "VisitorEvent" });

export const countsSchema = z.record(z.string(), z.number().int());

const detailedSessionsSchema = z
  .array(sessionSchema)
  .describe(
    "the 50 most recently active, while they fit the answer's budget (at least one); journeys cut to their newest pages within 8 KiB",
  );
const countryBreakdownSchema = countsSchema.describe(
  "today's pageviews by country; past 16 KiB, the most viewed and the rest as (other)",
);
const recentEventsSchema = z
  .array(visitorEventSchema)
  .describe("the last 50, newest first, while they fit the answer's budget (at least one)");

export const summaryResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.strictObject({
      summary: currentStatsSchema,
      filtered_data: z
        .strictObject({
          summary: currentStatsSchema,
          sessions: detailedSessionsSchema,
          active_sessions_total: z.number().int(),
          active_sessions_truncated: z.boolean(),
          country_breakdown: countryBreakdownSchema,
          recent_events: recentEventsSchema,
          recent_events_truncated: z.boolean(),
        })
        .optional()
        .describe(
          "only when a filter is given: the sessions, breakdown and recent events under it (as /api/analytics/detailed)",
        ),
      filters_applied: filtersAppliedSchema,
      generated_at: z.iso.datetime(),
    }),
  })
  .meta({ id: "SummaryResponse" });

export const detailedResponseSchema = z
  .strictObject({
    success: z.literal(true),
    filters_applied: filtersAppliedSchema.describe("the same as data.filters_applied"),
    generated_at: z.iso.datetime(),
    data: z.strictObject({
      summary: currentStatsSchema,
      sessions: z.array(sessionSchema).describe("the same as active_sessions"),
      active_sessions: detailedSessionsSchema,
      active_sessions_total: z.number().int(),
      active_sessions_truncated: z
        .boolean()
        .describe("true when sessions among the 50 were left out to keep the answer in budget"),
      country_breakdown: countryBreakdownSchema,
      device_breakdown: countsSchema.describe(
        "today's pageviews by device; follows the site and country filters, not the page filter",
      ),
      top_pages: z.array(z.object({ page: z.string(), views: z.number().int() })),
      recent_events: recentEventsSchema,
      recent_events_truncated: z
        .boolean()
        .describe("true when recent events were left out to keep the answer in budget"),
      visitors_last_minute: z.number().int(),
      generated_at: z.iso.datetime(),
      filters_applied: filtersAppliedSchema,
    }),
  })
  .meta({ id: "DetailedResponse" });

export const collectAcceptedSchema = z.object({ success: z.literal(true) });

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
