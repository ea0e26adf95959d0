import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";
import { presentedToken, unauthorized } from "../middlewares/auth.ts";
import { ApiError } from "../schemas/errors.ts";
import { tokensMatch } from "../services/api-token.ts";
import type { Metrics } from "../services/metrics.ts";
import { errorResponses, newRouter, tokenAuth } from "./route-contract.ts";

/** The API token, or METRICS_TOKEN when set (a scraper need not hold the token that reads visitors). */
function metricsAuth(metricsToken: string | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const token = presentedToken(c.req.raw);
    const accepted =
      token !== undefined &&
      (tokensMatch(token, c.var.services.apiToken) ||
        (metricsToken !== undefined && tokensMatch(token, metricsToken)));
    if (!accepted) {
      c.header("WWW-Authenticate", 'Bearer realm="footfall"');
      throw unauthorized();
    }
    await next();
  });
}

function metricsRoute(metricsToken: string | undefined) {
  return createRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics (the API token, or METRICS_TOKEN)",
    description:
      "The Prometheus text format: events accepted and refused by route and reason, commit (or XADD) latency, dashboards connected, frames coalesced and dropped, live-state size, storage health, and in cluster mode the stream and archive lag.",
    tags: ["Operations"],
    security: tokenAuth().security,
    middleware: metricsAuth(metricsToken),
    responses: {
      200: {
        description: "Metrics",
        content: { "text/plain": { schema: z.string() } },
      },
      ...errorResponses("unauthorized"),
    },
  });
}

/** GET /metrics. */
export function metricsRoutes(metrics: Metrics, metricsToken: string | undefined) {
  return newRouter().openapi(metricsRoute(metricsToken), async (c) => {
    const body = await metrics.render();
    return c.text(body, 200, { "content-type": metrics.contentType });
  });
}

/**
 * Counts an ingestion route's outcome: its events accepted, or its refusal by error code (a bot's
 * request to /api/collect is answered 202 but counted as refused, reason `bot`).
 */
export function countIngestion(metrics: Metrics) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const route = c.req.path;
    try {
      await next();
    } catch (error) {
      metrics.requestRefused(route, error instanceof ApiError ? error.code : "internal_error");
      throw error;
    }
    if (c.error !== undefined) {
      metrics.requestRefused(route, c.error instanceof ApiError ? c.error.code : "internal_error");
    } else if (c.get("droppedAsBot")) {
      metrics.requestRefused(route, "bot");
    } else if (c.res.status < 300) {
      // The event routes' validated body (the compatibility routes take one event and set none).
      const body = (c.get as (key: string) => { inputs?: readonly unknown[] } | undefined)("body");
      metrics.eventsAccepted(route, body?.inputs?.length ?? 1);
    }
  });
}
