import { z } from "zod";
import { countsSchema, currentStatsSchema } from "./responses.ts";

/** The server's own answers (status, health, the service's description), for the OpenAPI document. */
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
      cluster: z
        .strictObject({
          instance: z.string(),
          stream_position: z.number().int().describe("the stream's last position"),
          applied_position: z.number().int().describe("the last position this instance applied"),
          lag_events: z.number().int(),
          lag_ms: z
            .number()
            .int()
            .describe("now − receive time of the oldest event not applied here; 0 when none"),
          archive_position: z.number().int().describe("every position up to it is in Postgres"),
          archive_lag_events: z.number().int().describe("stream position − archive position"),
          postgres: z.enum(["ok", "unreachable"]),
        })
        .optional()
        .describe("Cluster mode only (REDIS_URL and DATABASE_URL set): see docs/cluster.md"),
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
