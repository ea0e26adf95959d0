import { z } from "zod";
import { EVENT_TYPES } from "./event.ts";

/** Success bodies, for the OpenAPI document (the routes build these shapes). */
export const currentStatsSchema = z
  .object({
    total_active: z.number().int(),
    total_today: z.number().int(),
    pages_visited: z
      .record(z.string(), z.number().int())
      .describe(
        "today's views of the most viewed pages (at most STATS_MAX_PAGES, ties by page name, and at most 64 KiB of them), the rest summed as (other)",
      ),
    pages_total: z.number().int().describe("distinct pages viewed today, listed or not"),
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
  .object({ success: z.literal(true), data: z.object({ session: sessionSchema }) })
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

const countsSchema = z.record(z.string(), z.number().int());

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

const fillSchema = z.object({ count: z.number().int(), max: z.number().int() });

const healthStatusSchema = z
  .enum(["healthy", "degraded", "shutting_down"])
  .describe(
    "degraded while the database cannot write (it clears once a probe write succeeds); shutting_down during shutdown",
  );

const memorySchema = z.object({
  rss: z.number().int(),
  heap_used: z.number().int(),
  heap_total: z.number().int(),
});

/** POST /api/collect's whole answer: the tracker never reads it. */
export const collectAcceptedSchema = z.object({ success: z.literal(true) });

export const statusResponseSchema = z
  .object({
    success: z.literal(true),
    data: z.strictObject({
      server_status: healthStatusSchema,
      version: z.string(),
      uptime: z.number().describe("seconds"),
      websocket_connections: z.number().int().describe("dashboards connected"),
      current_analytics: z
        .object({
          total_active: z.number().int(),
          total_today: z.number().int(),
          pages_visited: currentStatsSchema.shape.pages_visited,
        })
        .describe("the unfiltered summary"),
      dashboards: z.object({
        connected: z.number().int(),
        max: z.number().int(),
        unsent_bytes: z.number().int().describe("WebSocket bytes queued for all dashboards"),
        slow_readers_dropped: z
          .number()
          .int()
          .describe("dashboards dropped to keep unsent bytes within WS_TOTAL_BACKPRESSURE_BYTES"),
        detailed_stats_built: z.number().int(),
        detailed_stats_served: z.number().int(),
      }),
      dashboard_actions: countsSchema.describe("track_dashboard_action messages, per action"),
      events_received: z.number().int(),
      events_last_minute: z.number().int(),
      events_per_second: z.number().describe("over the last minute"),
      bots_filtered: z
        .number()
        .int()
        .describe("events to /api/collect dropped since start: a bot's or an empty User-Agent"),
      active_sessions: fillSchema,
      live_state: z
        .object({ bytes: z.number().int(), max_bytes: z.number().int() })
        .describe(
          "estimated bytes of the active sessions and their strings, and MAX_LIVE_STATE_BYTES",
        ),
      today: z.object({
        day: z.string(),
        pages: z.number().int(),
        countries: z.number().int(),
        sites: z.number().int(),
        devices: z.number().int(),
        key_bytes: z
          .object({
            pages: z.number().int(),
            countries: z.number().int(),
            sites: z.number().int(),
            devices: z.number().int(),
          })
          .describe("UTF-8 bytes of the distinct keys counted today, by kind"),
        device_combinations: z.number().int(),
        combinations: z.number().int(),
        max_tracked_keys: z.number().int(),
        max_tracked_key_bytes: z.number().int(),
        max_combinations: z.number().int(),
      }),
      compat: z.object({ remembered: z.number().int(), max: z.number().int() }),
      storage: z.looseObject({
        durability: z.enum(["normal", "strict"]),
        degraded: z.boolean(),
      }),
      memory: memorySchema,
      limits: z.record(z.string(), z.number()),
      generated_at: z.iso.datetime(),
    }),
  })
  .meta({ id: "StatusResponse" });

export const healthSchema = z
  .strictObject({
    status: healthStatusSchema,
    timestamp: z.iso.datetime(),
    uptime: z.number().describe("seconds"),
    memory: memorySchema.describe("bytes"),
    version: z.string(),
  })
  .meta({ id: "Health" });

export const serviceInfoSchema = z
  .strictObject({
    service: z.string(),
    version: z.string(),
    status: z.enum(["running", "shutting_down"]),
    endpoints: z.record(z.string(), z.string()).describe('"METHOD /path": what it does'),
    websocket: z.strictObject({
      url: z.string(),
      port_url: z.string().optional().describe("the same endpoint on WEBSOCKET_PORT, when set"),
      description: z.string(),
    }),
    dashboard: z.string(),
    documentation: z.string(),
  })
  .meta({ id: "ServiceInfo" });

export type ServiceInfo = z.infer<typeof serviceInfoSchema>;

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
