/**
 * What each middleware of the HTTP stack costs per request, by ablation in-process: the same
 * POST answered by a bare Hono app, then with one middleware (or one stack) added, through
 * `app.request` (no sockets, so the figures are the JavaScript work alone). Rounds alternate the
 * variants so a noisy machine slows them alike; the figure is the median of the rounds.
 *   bun bench/middleware-cost.ts [--requests 20000] [--rounds 5]
 */
import { parseArgs } from "node:util";
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { precomputedCors, type StaticCorsOptions } from "../middlewares/cors.ts";
import { SECURE_HEADERS_OPTIONS } from "../middlewares/error-handler.ts";
import { requestLogger } from "../middlewares/request-logger.ts";
import { precomputedSecureHeaders } from "../middlewares/secure-headers.ts";
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
const services: MiddlewareHandler = async (c, next) => {
  c.set("services" as never, { logger } as never);
  await next();
};

const VARIANTS: Record<string, MiddlewareHandler[]> = {
  "bare Hono": [],
  "services variable": [services],
  "request logger (warn)": [services, requestLogger as unknown as MiddlewareHandler],
  "Hono secureHeaders": [secureHeaders(SECURE_HEADERS_OPTIONS)],
  "Hono cors": [cors(CORS_OPTIONS)],
  "Hono secureHeaders + cors": [secureHeaders(SECURE_HEADERS_OPTIONS), cors(CORS_OPTIONS)],
  "precomputed secure headers": [precomputedSecureHeaders(SECURE_HEADERS_OPTIONS)],
  "precomputed cors": [precomputedCors(CORS_OPTIONS)],
  "precomputed secure headers + cors": [
    precomputedSecureHeaders(SECURE_HEADERS_OPTIONS),
    precomputedCors(CORS_OPTIONS),
  ],
};

function appOf(middlewares: MiddlewareHandler[]) {
  const app = new Hono();
  for (const middleware of middlewares) app.use("*", middleware);
  app.post("/api/events", async (c) => {
    await c.req.text();
    return c.body('{"success":true}', 201, { "Content-Type": "application/json" });
  });
  return app;
}

async function microsPerRequest(app: Hono, requests: number): Promise<number> {
  const body = JSON.stringify({ type: "pageview", page: "/", session_id: "s" });
  const started = performance.now();
  for (let index = 0; index < requests; index++) {
    const response = await app.request("/api/events", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://example.com" },
      body,
    });
    await response.arrayBuffer();
  }
  return ((performance.now() - started) * 1000) / requests;
}

export async function benchMiddlewareCost(options: { requests: number; rounds: number }) {
  const apps = Object.entries(VARIANTS).map(([name, list]) => [name, appOf(list)] as const);
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
