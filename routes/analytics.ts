import { createRoute, z } from "@hono/zod-openapi";
import { sessionsQuerySchema, summaryQuerySchema } from "../schemas/analytics-query.ts";
import { ApiError } from "../schemas/errors.ts";
import {
  detailedResponseSchema,
  sessionResponseSchema,
  sessionsResponseSchema,
  summaryResponseSchema,
} from "../schemas/responses.ts";
import { endedSessionView } from "../services/session-view.ts";
import { findEndedSession } from "../services/storage/archived-sessions.ts";
import {
  errorResponses,
  jsonResponse,
  newRouter,
  serialisedJson,
  tokenAuth,
} from "./route-contract.ts";

const tags = ["Live"];

const summaryRoute = createRoute({
  method: "get",
  path: "/summary",
  summary: "Live summary, filtered by country, page and site",
  tags,
  ...tokenAuth(),
  request: { query: summaryQuerySchema },
  responses: {
    200: jsonResponse(summaryResponseSchema, "Summary"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const sessionsRoute = createRoute({
  method: "get",
  path: "/sessions",
  summary: "Active sessions, most recently active first",
  tags,
  ...tokenAuth(),
  request: { query: sessionsQuerySchema },
  responses: {
    200: jsonResponse(sessionsResponseSchema, "Sessions"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const sessionRoute = createRoute({
  method: "get",
  path: "/sessions/{session_id}",
  summary: "One session with its whole journey: active, or ended (with ended_at and end_reason)",
  tags,
  ...tokenAuth(),
  request: { params: z.object({ session_id: z.string() }) },
  responses: {
    200: jsonResponse(sessionResponseSchema, "The session"),
    ...errorResponses("unauthorized", "not_found"),
  },
});

const detailedRoute = createRoute({
  method: "get",
  path: "/detailed",
  summary: "Summary, sessions, breakdowns, top pages, recent events, visitors in the last minute",
  tags,
  ...tokenAuth(),
  request: { query: summaryQuerySchema },
  responses: {
    200: jsonResponse(detailedResponseSchema, "Detailed view"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

/** The live read API (mounted under /api/analytics); every route needs the token. */
export function analyticsRoutes() {
  return newRouter()
    .openapi(summaryRoute, (c) => {
      const filter = c.req.valid("query");
      const { live, clock } = c.var.services;
      // A filter also brings the sessions, breakdown and events under it, as earlier clients read.
      let filtered = "";
      if (Object.keys(filter).length > 0) {
        const detailed = live.detailed(filter);
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
      return serialisedJson(
        c,
        summaryResponseSchema,
        `{"success":true,"data":{"summary":${live.liveStatsJson(filter)}${filtered},"filters_applied":${JSON.stringify(filter)},"generated_at":"${new Date(clock.now()).toISOString()}"}}`,
        200,
      );
    })
    .openapi(sessionsRoute, (c) => {
      const { limit, ...filter } = c.req.valid("query");
      const { live, clock } = c.var.services;
      return c.json(
        {
          success: true as const,
          data: {
            ...live.activeSessions(filter, limit),
            filters_applied: filter,
            retrieved_at: new Date(clock.now()).toISOString(),
          },
        },
        200,
      );
    })
    .openapi(sessionRoute, async (c) => {
      const { session_id } = c.req.valid("param");
      const { live, database, config, catchUpReads } = c.var.services;
      // The live session first: an archived row with its id is an earlier session (or not ended).
      const active = live.session(session_id);
      if (active) return c.json({ success: true as const, data: { session: active } }, 200);
      // The flush is awaited (in cluster mode a Postgres write): a session that just ended is found.
      const ended = await findEndedSession(
        { db: database.history.reads.database, flush: catchUpReads },
        session_id,
      );
      if (!ended) throw new ApiError(404, "not_found", "No session with that id");
      const session = endedSessionView(ended, config.sessionTimeoutMs);
      return c.json({ success: true as const, data: { session } }, 200);
    })
    .openapi(detailedRoute, (c) => {
      const filter = c.req.valid("query");
      const detailed = c.var.services.live.detailed(filter);
      // Earlier clients read these beside `data`; Footfall's read them inside it: both.
      return c.json(
        {
          success: true as const,
          filters_applied: filter,
          generated_at: detailed.generated_at,
          data: { ...detailed, filters_applied: filter },
        },
        200,
      );
    });
}
