import { type Context, Hono } from "hono";
import { VERSION } from "../config/version.ts";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireToken } from "../middlewares/auth.ts";
import type { ServiceInfo } from "../schemas/responses.ts";
import type { Services } from "../services/container.ts";
import { WEBSOCKET_PATH } from "./websocket.ts";

type HealthStatus = "healthy" | "degraded" | "shutting_down";

function healthStatus({ draining, storage }: Services): HealthStatus {
  return draining ? "shutting_down" : storage.log.degraded ? "degraded" : "healthy";
}

function memory() {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heap_used: heapUsed, heap_total: heapTotal };
}

export function statusRoutes() {
  return new Hono<AppEnv>()
    .get("/health", (c) => {
      const { clock, startedAt } = c.var.services;
      const now = clock.now();
      const status = healthStatus(c.var.services);
      return c.json(
        {
          status,
          timestamp: new Date(now).toISOString(),
          uptime: Math.round((now - startedAt) / 1000),
          memory: memory(),
          version: VERSION,
        },
        status === "healthy" ? 200 : 503,
      );
    })
    .get("/api/status", requireToken, (c) => {
      const { store, hub, compat, clock, startedAt, config, storage } = c.var.services;
      const { total_active, total_today, pages_visited } = store.currentStats();
      return c.json({
        success: true,
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
          ...store.status(),
          compat: compat.fill(),
          storage: { durability: config.storage.durability, ...storage.log.stats() },
          memory: memory(),
          limits: config.limits,
          generated_at: new Date(clock.now()).toISOString(),
        },
      });
    });
}

/** What `GET /` tells a client that is not a browser (the seed's root answer, Footfall's routes). */
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
    status: c.var.services.draining ? "shutting_down" : "running",
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
