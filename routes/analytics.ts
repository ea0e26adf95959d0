import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../middlewares/api-error.ts";
import { validate } from "../middlewares/validate.ts";
import { sessionsQuerySchema, summaryQuerySchema } from "../schemas/analytics-query.ts";

/** The live read API; every route needs the token (mounted behind requireToken). */
export function analyticsRoutes() {
  return new Hono<AppEnv>()
    .get("/summary", validate("query", summaryQuerySchema), (c) => {
      const filter = c.req.valid("query");
      const { store, clock } = c.var.services;
      // The stats JSON is kept between changes of state (the same one ingestion answers share).
      return c.body(
        `{"success":true,"data":{"summary":${store.currentStatsJson(filter)},"filters_applied":${JSON.stringify(filter)},"generated_at":"${new Date(clock.now()).toISOString()}"}}`,
        200,
        { "Content-Type": "application/json" },
      );
    })
    .get("/sessions", validate("query", sessionsQuerySchema), (c) => {
      const { limit, ...filter } = c.req.valid("query");
      return c.json({ success: true, data: c.var.services.store.activeSessions(filter, limit) });
    })
    .get("/sessions/:session_id", (c) => {
      const sessionId = c.req.param("session_id");
      const session = c.var.services.store.session(sessionId);
      if (!session) throw new ApiError(404, "not_found", "No active session with that id");
      return c.json({ success: true, data: { session } });
    })
    .get("/detailed", validate("query", summaryQuerySchema), (c) => {
      const filter = c.req.valid("query");
      return c.json({
        success: true,
        data: { ...c.var.services.store.detailed(filter), filters_applied: filter },
      });
    });
}
