import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { VERSION } from "../config/version.ts";
import type { AppEnv } from "../interfaces/app-env.ts";
import {
  healthSchema,
  type ServiceInfo,
  statusResponseSchema,
} from "../schemas/server-responses.ts";
import type { Services } from "../services/container.ts";
import {
  errorResponses,
  jsonResponse,
  newRouter,
  publicAccess,
  tokenAuth,
} from "./route-contract.ts";
import { WEBSOCKET_PATH } from "./websocket.ts";

type HealthStatus = "healthy" | "degraded" | "shutting_down";

function healthStatus({ lifecycle, log, cluster }: Services): HealthStatus {
  if (lifecycle.draining.aborted) return "shutting_down";
  return log.degraded || cluster?.postgresDown ? "degraded" : "healthy";
}

/**
 * Whether a load balancer should keep sending traffic: not while draining or while the event log
 * cannot take events. Postgres unreachable alone (cluster mode) keeps 200: ingestion, the live
 * reads and the dashboards go on, the archive catching up once it answers (docs/cluster.md).
 */
function serving(services: Services, status: HealthStatus): boolean {
  return status === "healthy" || (status === "degraded" && !services.log.degraded);
}

const tags = ["Operations"];

function memory() {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heap_used: heapUsed, heap_total: heapTotal };
}

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Health (public)",
  tags,
  ...publicAccess,
  responses: {
    200: jsonResponse(
      healthSchema,
      'Serving: `status` "healthy", or "degraded" in cluster mode while only Postgres is unreachable',
    ),
    503: jsonResponse(
      healthSchema,
      'The same body, `status` "degraded" (the event log cannot write) or "shutting_down" (not the error shape)',
    ),
  },
});

const statusRoute = createRoute({
  method: "get",
  path: "/api/status",
  summary: "Uptime, dashboards, event rates, memory, caps and limits",
  tags,
  ...tokenAuth(),
  responses: {
    200: jsonResponse(statusResponseSchema, "Status"),
    ...errorResponses("unauthorized"),
  },
});

/** `botsFiltered`: events the tracker endpoint dropped as bots' since start. */
export function statusRoutes(botsFiltered: () => number) {
  return newRouter()
    .openapi(healthRoute, (c) => {
      const { clock, startedAt } = c.var.services;
      const now = clock.now();
      const status = healthStatus(c.var.services);
      const body = {
        status,
        timestamp: new Date(now).toISOString(),
        uptime: Math.round((now - startedAt) / 1000),
        memory: memory(),
        version: VERSION,
      };
      return serving(c.var.services, status) ? c.json(body, 200) : c.json(body, 503);
    })
    .openapi(statusRoute, async (c) => {
      const { live, hub, compat, clock, startedAt, config, log, cluster, pipeline } =
        c.var.services;
      const { total_active, total_today, pages_visited } = live.currentStats();
      return c.json(
        {
          success: true as const,
          data: {
            server_status: healthStatus(c.var.services),
            version: VERSION,
            uptime: Math.round((clock.now() - startedAt) / 1000),
            websocket_connections: hub.dashboardCount,
            current_analytics: { total_active, total_today, pages_visited },
            dashboards: {
              connected: hub.dashboardCount,
              max: config.limits.maxDashboards,
              ...hub.stats(),
            },
            dashboard_actions: hub.actionCounts(),
            ...live.status(),
            bots_filtered: botsFiltered(),
            compat: compat.fill(),
            storage: {
              durability: config.storage.durability,
              ...log.stats(),
              degraded: log.degraded,
            },
            ...(cluster ? { cluster: await cluster.status(pipeline.position) } : {}),
            memory: memory(),
            limits: config.limits,
            generated_at: new Date(clock.now()).toISOString(),
          },
        },
        200,
      );
    });
}

/** What `GET /` tells a client that is not a browser: the service, its routes and where to look. */
export function serviceInfo(
  c: Context<AppEnv>,
  endpoints: Readonly<Record<string, string>>,
): ServiceInfo {
  const { config } = c.var.services;
  const url = new URL(c.req.url);
  const wsScheme = url.protocol === "https:" ? "wss:" : "ws:";
  return {
    service: "Footfall real-time visitor analytics",
    version: VERSION,
    status: c.var.services.lifecycle.draining.aborted ? "shutting_down" : "running",
    endpoints,
    websocket: {
      url: `${wsScheme}//${url.host}${WEBSOCKET_PATH}`,
      ...(config.websocketPort === undefined
        ? {}
        : { port_url: `ws://${url.hostname}:${config.websocketPort}/` }),
      description: "Live dashboard updates; send the API token as ?token=",
    },
    dashboard: `${url.origin}/dashboard`,
    documentation: `${url.origin}/docs (OpenAPI: ${url.origin}/api/openapi.json)`,
  };
}
