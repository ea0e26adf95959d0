/**
 * What each middleware of the HTTP stack costs per request, by ablation in-process: the same
 * POST answered by a bare Hono app, then with one middleware (or one stack) added, through
 * `app.request` (no sockets, so the figures are the JavaScript work alone). Rounds alternate the
 * variants so a noisy machine slows them alike; the figure is the median of the rounds.
 *   bun bench/middleware-cost.ts [--requests 20000] [--rounds 5]
 */
import { parseArgs } from "node:util";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Router } from "hono/router";
import { secureHeaders } from "hono/secure-headers";
import type { H, RouterRoute } from "hono/types";
import { precomputedCors, type StaticCorsOptions } from "../middlewares/cors.ts";
import { SECURE_HEADERS_OPTIONS } from "../middlewares/error-handler.ts";
import { jsonOrTextBody } from "../middlewares/json-body.ts";
import { requestLogger } from "../middlewares/request-logger.ts";
import { precomputedSecureHeaders } from "../middlewares/secure-headers.ts";
import { RememberingRouter } from "../routes/remembering-router.ts";
import { createLogger } from "../services/logger.ts";
import { median } from "./lib/processes.ts";

const CORS_OPTIONS: StaticCorsOptions = {
  origin: "*",
  allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: ["Content-Type", "Authorization"],
  exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
  maxAge: 86_400,
};
const logger = createLogger("warn");
const MAX_BODY_BYTES = 1024 * 1024;
const BODY_TIMEOUT_MS = 10_000;
const services: MiddlewareHandler = async (c, next) => {
  const config = { limits: { requestBodyTimeoutMs: BODY_TIMEOUT_MS } };
  c.set("services" as never, { logger, config } as never);
  await next();
};

/** The body as read before the body middleware: Hono's bodyLimit, then the text raced against a timer. */
const bodyLimitThenTimer: MiddlewareHandler[] = [
  bodyLimit({ maxSize: MAX_BODY_BYTES }),
  async (c, next) => {
    let timer: Timer | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), BODY_TIMEOUT_MS);
    });
    try {
      JSON.parse(await Promise.race([c.req.text(), timedOut]));
    } finally {
      clearTimeout(timer);
    }
    await next();
  },
];

/**
 * Routes shaped as Footfall's: a static and a parameter route at one place make Hono's
 * SmartRouter fall back to its TrieRouter, as Footfall's own routes do.
 */
function addFootfallLikeRoutes(app: Hono): void {
  const ok = (c: Context) => c.text("ok");
  app.get("/docs/assets/init.js", ok);
  app.get("/docs/assets/:name", ok);
  for (const name of ["summary", "sessions", "detailed", "timeseries", "top", "sites", "goals"]) {
    app.get(`/api/analytics/${name}`, ok);
  }
  app.get("/api/analytics/sessions/:session_id", ok);
  app.post("/api/collect", ok);
  app.post("/api/visit", ok);
  app.get("/health", ok);
}

interface Variant {
  middlewares: MiddlewareHandler[];
  /** Routes as Footfall's (Hono's TrieRouter), under `router` when given. */
  footfallRoutes?: { router?: () => Router<[H, RouterRoute]> };
}

const VARIANTS: Record<string, Variant> = {
  "bare Hono": { middlewares: [] },
  "services variable": { middlewares: [services] },
  "request logger (warn)": {
    middlewares: [services, requestLogger as unknown as MiddlewareHandler],
  },
  "Hono secureHeaders": { middlewares: [secureHeaders(SECURE_HEADERS_OPTIONS)] },
  "Hono cors": { middlewares: [cors(CORS_OPTIONS)] },
  "Hono secureHeaders + cors": {
    middlewares: [secureHeaders(SECURE_HEADERS_OPTIONS), cors(CORS_OPTIONS)],
  },
  "precomputed secure headers": { middlewares: [precomputedSecureHeaders(SECURE_HEADERS_OPTIONS)] },
  "precomputed cors": { middlewares: [precomputedCors(CORS_OPTIONS)] },
  "precomputed secure headers + cors": {
    middlewares: [precomputedSecureHeaders(SECURE_HEADERS_OPTIONS), precomputedCors(CORS_OPTIONS)],
  },
  "body: Hono bodyLimit + text raced against a timer + JSON.parse": {
    middlewares: [services, ...bodyLimitThenTimer],
  },
  "body: jsonOrTextBody (limit from Content-Length, shared deadline, JSON.parse)": {
    middlewares: [services, jsonOrTextBody(MAX_BODY_BYTES, (value) => value)],
  },
  "routes as Footfall's, Hono's router (TrieRouter)": {
    middlewares: [],
    footfallRoutes: {},
  },
  "routes as Footfall's, RememberingRouter": {
    middlewares: [],
    footfallRoutes: { router: () => new RememberingRouter() },
  },
  "a no-op middleware (as a check that is off)": {
    middlewares: [async (_c, next) => next()],
  },
};

function appOf({ middlewares, footfallRoutes }: Variant) {
  const router = footfallRoutes?.router?.();
  const app = router ? new Hono({ router }) : new Hono();
  for (const middleware of middlewares) app.use("*", middleware);
  if (footfallRoutes) addFootfallLikeRoutes(app);
  app.post("/api/events", async (c) => {
    await c.req.text();
    return c.body('{"success":true}', 201, { "Content-Type": "application/json" });
  });
  return app;
}

async function microsPerRequest(app: Hono, requests: number): Promise<number> {
  const body = JSON.stringify({ type: "pageview", page: "/", session_id: "s" });
  // As a client sends it over HTTP: with its length (a Request built here would have none).
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    origin: "https://example.com",
  };
  const started = performance.now();
  for (let index = 0; index < requests; index++) {
    const response = await app.request("/api/events", { method: "POST", headers, body });
    await response.arrayBuffer();
  }
  return ((performance.now() - started) * 1000) / requests;
}

export async function benchMiddlewareCost(options: { requests: number; rounds: number }) {
  const apps = Object.entries(VARIANTS).map(([name, variant]) => [name, appOf(variant)] as const);
  for (const [, app] of apps) await microsPerRequest(app, 2000);
  const samples = new Map<string, number[]>(apps.map(([name]) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, app] of apps) {
      samples.get(name)?.push(await microsPerRequest(app, options.requests));
    }
  }
  const bare = median(samples.get("bare Hono") ?? []);
  const result: Record<string, { micros: number; added_micros: number; range: number[] }> = {};
  for (const [name, values] of samples) {
    const micros = median(values);
    result[name] = {
      micros: Math.round(micros * 100) / 100,
      added_micros: Math.round((micros - bare) * 100) / 100,
      range: [Math.min(...values), Math.max(...values)].map((v) => Math.round(v * 100) / 100),
    };
  }
  return { requests: options.requests, rounds: options.rounds, micros_per_request: result };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "20000" },
      rounds: { type: "string", default: "5" },
    },
  });
  console.log(
    JSON.stringify(
      await benchMiddlewareCost({
        requests: Number(values.requests),
        rounds: Number(values.rounds),
      }),
      null,
      2,
    ),
  );
}
