import { Hono } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../interfaces/app-env.ts";
import { allowedMethodsOf } from "../middlewares/allowed-methods.ts";
import { requireToken } from "../middlewares/auth.ts";
import { clientIpMiddleware } from "../middlewares/client-ip.ts";
import { refuseWhileDraining } from "../middlewares/draining.ts";
import {
  handleError,
  handleNotFound,
  SECURE_HEADERS_OPTIONS,
} from "../middlewares/error-handler.ts";
import { refuseForeignOrigins } from "../middlewares/origin.ts";
import { ingestionRateLimit } from "../middlewares/rate-limit.ts";
import { requestLogger } from "../middlewares/request-logger.ts";
import type { Services } from "../services/container.ts";
import { analyticsRoutes } from "./analytics.ts";
import { countryTrackerRoutes } from "./compat-country.ts";
import { hitCounterRoutes } from "./compat-hit-counter.ts";
import { docsRoutes } from "./docs.ts";
import { eventRoutes } from "./events.ts";
import { frontendRoutes } from "./frontend.ts";
import { exportRoutes, historyRoutes } from "./history.ts";
import { DOCUMENTED_ROUTES } from "./openapi.ts";
import { statusRoutes } from "./status.ts";
import { trackerRoutes } from "./tracker.ts";

/** Builds the HTTP app; tests reuse it. */
export function createApp(services: Services) {
  const { config } = services;
  const app = new Hono<AppEnv>();
  app.onError(handleError);

  app.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use("*", requestLogger);
  app.use("*", secureHeaders(SECURE_HEADERS_OPTIONS));
  app.use(
    "*",
    cors({
      origin: config.corsOrigins === "*" ? "*" : [...config.corsOrigins],
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
      exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
      maxAge: 86_400,
    }),
  );
  app.use("*", clientIpMiddleware(config.trustProxy, config.clientIpHeader));

  // One budget per client IP shared by every ingestion route.
  const limitIngestion = ingestionRateLimit(config.rateLimitPerMinute);
  app.on(
    "POST",
    ["/api/events", "/api/visit", "/api/v1/stats"],
    refuseWhileDraining,
    refuseForeignOrigins(config.corsOrigins),
    limitIngestion,
  );
  app.route("/api/events", eventRoutes(services));
  app.use("/api/analytics/*", requireToken);
  app.route("/api/analytics", analyticsRoutes());
  app.route("/api/analytics", historyRoutes());
  app.use("/api/events/export", requireToken);
  app.route("/api/events", exportRoutes());
  app.route("/", statusRoutes());
  app.route("/api", hitCounterRoutes(services));
  app.route("/api/v1", countryTrackerRoutes(services));
  app.route("/", docsRoutes({ compatPublicReads: config.compatPublicReads }));
  app.route("/", trackerRoutes());
  app.route("/", frontendRoutes());
  // Every route is registered now: a path served under other methods answers 405, not 404.
  app.notFound(handleNotFound(allowedMethodsOf(app.routes), DOCUMENTED_ROUTES));
  return app;
}
