import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { validate } from "../middlewares/validate.ts";
import { sessionsQuerySchema, summaryQuerySchema } from "../schemas/analytics-query.ts";
import { ApiError } from "../schemas/errors.ts";

/** The live read API; every route needs the token (mounted behind requireToken). */
export function analyticsRoutes() {
  return new Hono<AppEnv>()
    .get("/summary", validate("query", summaryQuerySchema), (c) => {
      const filter = c.req.valid("query");
      const { store, clock } = c.var.services;
      // As the seed did, a filter also brings the sessions, breakdown and events under it.
      let filtered = "";
      if (Object.keys(filter).length > 0) {
        const detailed = store.detailed(filter);
        filtered = `,"filtered_data":${JSON.stringify({
          summary: detailed.summary,
          sessions: detailed.sessions,
          active_sessions_total: detailed.active_sessions_total,
          active_sessions_truncated: detailed.active_sessions_truncated,
          country_breakdown: detailed.country_breakdown,
          recent_events: detailed.recent_events,
          recent_events_truncated: detailed.recent_events_truncated,
        })}`;
      }
      // The stats JSON is kept between changes of state (the same one ingestion answers share).
      return c.body(
        `{"success":true,"data":{"summary":${store.currentStatsJson(filter)}${filtered},"filters_applied":${JSON.stringify(filter)},"generated_at":"${new Date(clock.now()).toISOString()}"}}`,
        200,
        { "Content-Type": "application/json" },
      );
    })
    .get("/sessions", validate("query", sessionsQuerySchema), (c) => {
      const { limit, ...filter } = c.req.valid("query");
      const { store, clock } = c.var.services;
      return c.json({
        success: true,
        data: {
          ...store.activeSessions(filter, limit),
          filters_applied: filter,
          retrieved_at: new Date(clock.now()).toISOString(),
        },
      });
    })
    .get("/sessions/:session_id", (c) => {
      const sessionId = c.req.param("session_id");
      const session = c.var.services.store.session(sessionId);
      if (!session) throw new ApiError(404, "not_found", "No active session with that id");
      return c.json({ success: true, data: { session } });
    })
    .get("/detailed", validate("query", summaryQuerySchema), (c) => {
      const filter = c.req.valid("query");
      const detailed = c.var.services.store.detailed(filter);
      // The seed put these beside `data`; Footfall's clients read them inside it: both.
      return c.json({
        success: true,
        filters_applied: filter,
        generated_at: detailed.generated_at,
        data: { ...detailed, filters_applied: filter },
      });
    });
}
