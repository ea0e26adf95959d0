import { Hono } from "hono";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireToken } from "../middlewares/auth.ts";
import packageJson from "../package.json" with { type: "json" };

export const VERSION = packageJson.version;

export function statusRoutes() {
  return new Hono<AppEnv>()
    .get("/health", (c) => {
      const { draining, startedAt, clock, storage } = c.var.services;
      const now = clock.now();
      const status = draining ? "shutting_down" : storage.log.degraded ? "degraded" : "ok";
      return c.json(
        {
          status,
          uptime: Math.round((now - startedAt) / 1000),
          timestamp: new Date(now).toISOString(),
        },
        status === "ok" ? 200 : 503,
      );
    })
    .get("/api/status", requireToken, (c) => {
      const { store, hub, compat, clock, startedAt, config, storage } = c.var.services;
      const memory = process.memoryUsage();
      return c.json({
        success: true,
        data: {
          version: VERSION,
          uptime: Math.round((clock.now() - startedAt) / 1000),
          dashboards: {
            connected: hub.dashboardCount,
            max: config.limits.maxDashboards,
            ...hub.stats(),
          },
          dashboard_actions: hub.actionCounts(),
          ...store.status(),
          compat: compat.fill(),
          storage: { durability: config.storage.durability, ...storage.log.stats() },
          memory: { rss: memory.rss, heap_used: memory.heapUsed, heap_total: memory.heapTotal },
          limits: config.limits,
          generated_at: new Date(clock.now()).toISOString(),
        },
      });
    });
}
