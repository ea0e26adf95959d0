import { createRoute } from "@hono/zod-openapi";
import { allowedMethodsOf } from "../middlewares/allowed-methods.ts";
import { precomputedCors } from "../middlewares/cors.ts";
import { refuseWhileDraining } from "../middlewares/draining.ts";
import {
  handleError,
  handleNotFound,
  SECURE_HEADERS_OPTIONS,
} from "../middlewares/error-handler.ts";
import { refuseForeignOrigins } from "../middlewares/origin.ts";
import { ingestionRateLimit } from "../middlewares/rate-limit.ts";
import { requestLogger } from "../middlewares/request-logger.ts";
import { precomputedSecureHeaders } from "../middlewares/secure-headers.ts";
import { AlertingService } from "../services/alerting/alerting-service.ts";
import { alertingStoresFor } from "../services/alerting/alerting-stores.ts";
import { type AlertingOptions, alertingOptions } from "../services/alerting/options.ts";
import { sqliteTrafficSeed } from "../services/alerting/sqlite-traffic-seed.ts";
import type { Resolver } from "../services/alerting/ssrf-guard.ts";
import type { Services } from "../services/container.ts";
import { VisitorEnricher } from "../services/enrich/visitor-enricher.ts";
import { Metrics } from "../services/metrics.ts";
import { alertRoutes } from "./alerts.ts";
import { analyticsRoutes } from "./analytics.ts";
import { apiDocument, documentedEndpoints } from "./api-document.ts";
import { collectRoutes } from "./collect.ts";
import { countryTrackerRoutes } from "./compat-country.ts";
import { hitCounterRoutes } from "./compat-hit-counter.ts";
import { docsRoutes } from "./docs.ts";
import { eventRoutes } from "./events.ts";
import { frontendRoutes } from "./frontend.ts";
import { exportRoutes, historyRoutes } from "./history.ts";
import { countIngestion, metricsRoutes } from "./metrics.ts";
import { errorResponses, newRouter, tokenAuth } from "./route-contract.ts";
import { statsRoutes } from "./stats.ts";
import { statusRoutes } from "./status.ts";
import { trackerRoutes } from "./tracker.ts";
import { WEBSOCKET_PATH } from "./websocket.ts";

/** `/ws` is upgraded ahead of Hono (routes/websocket.ts): declared here for the document. */
const websocketRoute = createRoute({
  method: "get",
  path: WEBSOCKET_PATH,
  summary: "The live WebSocket for dashboards",
  description:
    "Upgrade to a native WebSocket (`?token=`, since browsers cannot set headers on a WebSocket). Every frame is one JSON object `{type, data}`; see docs/websocket.md for the protocol. Also served on WEBSOCKET_PORT, on any path, when set.",
  tags: ["Live"],
  ...tokenAuth(),
  responses: {
    101: { description: "Switching protocols" },
    ...errorResponses("unauthorized", "upgrade_required", "shutting_down", "too_many_connections"),
  },
});

export interface AppOptions {
  /** Alerting's settings over the defaults and the config's (tests shorten retries, allow 127.0.0.1). */
  alerting?: Partial<AlertingOptions>;
  /** DNS for the webhook guard (node:dns otherwise). */
  resolver?: Resolver;
}

const alertingServices = new WeakMap<Services, AlertingService>();

/** The alerting service `createApp` built for these services (tests read its worker). */
export function alertingOf(services: Services): AlertingService | undefined {
  return alertingServices.get(services);
}

/**
 * Alerting as a reaction of the pipeline (after the realtime hub): rules per site, the history,
 * deliveries in the background. Its worker and tick start now and stop when shutdown begins.
 */
function startAlerting(services: Services, options: AppOptions): AlertingService {
  const { config, database, pipeline, live, hub, clock } = services;
  const alerting = new AlertingService(
    {
      // SQLite in a single process; the shared Postgres in a cluster (delivered once).
      stores: alertingStoresFor(services),
      clock,
      logger: services.logger,
      position: () => pipeline.position,
      // The hub's own path for a step's alerts, with a step that holds only this one.
      broadcast: (alert) => hub.react({ now: clock.now(), ended: [], alerts: [alert] }),
      // In cluster mode this instance's SQLite holds no events: windows start empty.
      seed: services.cluster
        ? { pageviewsToday: (site) => live.currentStats({ site }).total_today }
        : sqliteTrafficSeed(
            () => database.db,
            () => pipeline.position,
          ),
      resolver: options.resolver,
    },
    alertingOptions(config, options.alerting),
  );
  pipeline.react(alerting);
  hub.replayAlertsFrom(() => [...services.alerts.current(), ...alerting.current()]);
  alerting.start();
  services.lifecycle.draining.addEventListener("abort", () => void alerting.stop(), {
    once: true,
  });
  alertingServices.set(services, alerting);
  return alerting;
}

/** Builds the HTTP app; tests reuse it. */
export function createApp(services: Services, options: AppOptions = {}) {
  const { config } = services;
  const app = newRouter();
  app.onError(handleError);

  app.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use("*", requestLogger);
  app.use("*", precomputedSecureHeaders(SECURE_HEADERS_OPTIONS));
  app.use(
    "*",
    precomputedCors({
      origin: config.corsOrigins === "*" ? "*" : [...config.corsOrigins],
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
      exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
      maxAge: 86_400,
    }),
  );

  const enricher = new VisitorEnricher({
    clock: services.clock,
    geoipDatabase: config.geoipDatabase,
    salts: services.salts,
  });
  const metrics = new Metrics({
    dashboardsConnected: () => services.hub.dashboardCount,
    hub: () => services.hub.stats(),
    liveState: () => {
      const { live_state, active_sessions } = services.live.status();
      return { bytes: live_state.bytes, activeSessions: active_sessions.count };
    },
    storageDegraded: () => services.log.degraded,
    botsFiltered: () => enricher.bots_filtered,
    ...(services.cluster ? { cluster: () => services.cluster?.metrics() } : {}),
  });
  // The log events are appended to: SQLite's, or in a cluster the Redis Stream's (XADD latency).
  metrics.timeCommits(services.log);

  // One budget per client IP shared by every ingestion route. A check that is off (any origin
  // accepted, no rate limit) is left out rather than passed through on every request.
  const ingestionChecks = [
    countIngestion(metrics),
    refuseWhileDraining,
    refuseForeignOrigins(config.corsOrigins),
    ingestionRateLimit(config.rateLimitPerMinute),
  ].filter((check) => check !== undefined);
  app.on(
    "POST",
    ["/api/events", "/api/collect", "/api/visit", "/api/v1/stats"],
    ...ingestionChecks,
  );
  // Each route declares its schemas and its security; the document is generated from them.
  let endpoints: Readonly<Record<string, string>> = {};
  let document: string | undefined;
  app.route("/api/events", eventRoutes(config.limits));
  // The user's own database is opened now, so a wrong GEOIP_DATABASE stops start-up.
  if (config.geoipDatabase !== undefined) enricher.open();
  app.route("/api/collect", collectRoutes(config, enricher));
  app.route("/api/analytics", analyticsRoutes());
  app.route("/api/analytics", historyRoutes());
  app.route("/api/analytics", statsRoutes());
  app.route("/api/events", exportRoutes());
  app.route("/api/alerts", alertRoutes(startAlerting(services, options)));
  app.route(
    "/",
    statusRoutes(() => enricher.bots_filtered),
  );
  app.route("/", metricsRoutes(metrics, config.metricsToken));
  app.openAPIRegistry.registerPath(websocketRoute);
  app.route("/api", hitCounterRoutes(config));
  app.route("/api/v1", countryTrackerRoutes(config));
  app.route(
    "/",
    docsRoutes(() => (document ??= JSON.stringify(apiDocument(app)))),
  );
  app.route("/", trackerRoutes());
  app.route(
    "/",
    frontendRoutes(() => endpoints),
  );
  endpoints = Object.freeze(documentedEndpoints(app));
  // Every route is registered now: a path served under other methods answers 405, not 404.
  app.notFound(handleNotFound(allowedMethodsOf(app.routes), Object.keys(endpoints)));
  return app;
}
