import { createRoute } from "@hono/zod-openapi";
import { ApiError, validationError } from "../schemas/errors.ts";
import {
  goalDeletedSchema,
  goalIdSchema,
  goalInputSchema,
  goalResponseSchema,
  goalsQuerySchema,
  goalsResponseSchema,
  type StatsQueryInput,
  sitesResponseSchema,
  statsQueryResponseSchema,
  statsQuerySchema,
} from "../schemas/stats-query.ts";
import { statsQueryStringSchema } from "../schemas/stats-query-string.ts";
import {
  type AnalyticsQuery,
  QueryPlanError,
  QueryRangeError,
} from "../services/analytics-query/analytics-query.ts";
import { errorResponses, jsonResponse, newRouter, tokenAuth } from "./route-contract.ts";

const tags = ["Visitor metrics"];

const queryRoute = createRoute({
  method: "post",
  path: "/query",
  summary:
    "Visitor metrics over any range, by dimensions, filtered, compared (Plausible Stats API v2 style)",
  description:
    "See docs/analytics-query.md. Past days come from the stored visits and events, today up to the last event (active sessions are written before the query runs).",
  tags,
  ...tokenAuth(),
  request: {
    body: { content: { "application/json": { schema: statsQuerySchema } }, required: true },
  },
  responses: {
    200: jsonResponse(
      statsQueryResponseSchema,
      "One result per group (the totals without dimensions)",
    ),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const queryByGetRoute = createRoute({
  method: "get",
  path: "/query",
  summary: "The same query as query parameters (comma lists; Plausible v1's filters and order too)",
  description:
    "`?site=example.com&date_range=7d&metrics=visitors,pageviews&dimensions=source&filters=visit:country==US|GB&order_by=visitors:desc&compare=previous_period`: the body of POST /api/analytics/query as parameters, validated alike.",
  tags,
  ...tokenAuth(),
  request: { query: statsQueryStringSchema },
  responses: {
    200: jsonResponse(statsQueryResponseSchema, "As POST /api/analytics/query"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const sitesRoute = createRoute({
  method: "get",
  path: "/sites",
  summary: "The sites seen, busiest today first",
  tags,
  ...tokenAuth(),
  responses: {
    200: jsonResponse(sitesResponseSchema, "Sites"),
    ...errorResponses("unauthorized"),
  },
});

const listGoalsRoute = createRoute({
  method: "get",
  path: "/goals",
  summary: "Page goals (every custom event name is a goal by itself)",
  tags,
  ...tokenAuth(),
  request: { query: goalsQuerySchema },
  responses: {
    200: jsonResponse(goalsResponseSchema, "Goals"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const addGoalRoute = createRoute({
  method: "post",
  path: "/goals",
  summary: "Marks a page path (`*` any characters) as a goal",
  tags,
  ...tokenAuth(),
  request: {
    body: { content: { "application/json": { schema: goalInputSchema } }, required: true },
  },
  responses: {
    201: jsonResponse(goalResponseSchema, "The goal (the same one when it existed)"),
    ...errorResponses("validation_error", "unauthorized"),
  },
});

const deleteGoalRoute = createRoute({
  method: "delete",
  path: "/goals/{id}",
  summary: "Removes a page goal",
  tags,
  ...tokenAuth(),
  request: { params: goalIdSchema },
  responses: {
    200: jsonResponse(goalDeletedSchema, "Removed"),
    ...errorResponses("validation_error", "unauthorized", "not_found"),
  },
});

/** The query's refusals name what is wrong in the message itself, not only in `details`. */
function queryHook(result: {
  success: boolean;
  error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
}): undefined {
  if (!result.success && result.error) {
    const [first] = result.error.issues;
    throw validationError(result.error.issues, `Invalid query: ${first?.message ?? "malformed"}`);
  }
  return undefined;
}

/** Runs a validated query; what only the plan can refuse is a 400 too. */
async function runQuery(analytics: AnalyticsQuery, input: StatsQueryInput) {
  try {
    return await analytics.query(input);
  } catch (error) {
    if (error instanceof QueryPlanError || error instanceof QueryRangeError)
      throw new ApiError(400, "validation_error", `Invalid query: ${error.message}`);
    throw error;
  }
}

/** The query endpoint, the sites and the goals (mounted under /api/analytics, behind the token). */
export function statsRoutes() {
  return newRouter()
    .openapi(
      queryRoute,
      async (c) => {
        const { analytics, pipeline } = c.var.services;
        // Right to the last acknowledged event, even while a snapshot holds the pipeline.
        await pipeline.whenApplied();
        return c.json(await runQuery(analytics, c.req.valid("json")), 200);
      },
      queryHook,
    )
    .openapi(
      queryByGetRoute,
      async (c) => {
        const parsed = statsQuerySchema.safeParse(c.req.valid("query"));
        queryHook(parsed);
        await c.var.services.pipeline.whenApplied();
        const answer = await runQuery(c.var.services.analytics, parsed.data as StatsQueryInput);
        return c.json(answer, 200);
      },
      queryHook,
    )
    .openapi(sitesRoute, async (c) => {
      await c.var.services.pipeline.whenApplied();
      const sites = await c.var.services.analytics.sites();
      return c.json({ success: true as const, sites }, 200);
    })
    .openapi(listGoalsRoute, async (c) => {
      const { site } = c.req.valid("query");
      const goals = await c.var.services.analytics.goals.list(site);
      return c.json({ success: true as const, goals }, 200);
    })
    .openapi(addGoalRoute, async (c) => {
      const { site, page_path } = c.req.valid("json");
      const { analytics, clock } = c.var.services;
      const goal = await analytics.goals.add(site, page_path, clock.now());
      return c.json({ success: true as const, goal }, 201);
    })
    .openapi(deleteGoalRoute, async (c) => {
      const { id } = c.req.valid("param");
      if (!(await c.var.services.analytics.goals.remove(id)))
        throw new ApiError(404, "not_found", `No goal ${id}`);
      return c.json({ success: true as const, deleted: id }, 200);
    });
}
