import { describe, expect, test } from "bun:test";
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { precomputedCors, type StaticCorsOptions } from "../../middlewares/cors.ts";
import { SECURE_HEADERS_OPTIONS } from "../../middlewares/error-handler.ts";
import { precomputedSecureHeaders } from "../../middlewares/secure-headers.ts";

const corsOptions = (origin: StaticCorsOptions["origin"]): StaticCorsOptions => ({
  origin,
  allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: ["Content-Type", "Authorization"],
  exposeHeaders: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
  maxAge: 86_400,
});

/** An app as routes/app.ts composes one: security headers, then CORS, then the routes. */
function appWith(security: MiddlewareHandler, corsMiddleware: MiddlewareHandler) {
  const app = new Hono();
  app.onError((_error, c) => c.json({ success: false }, 500));
  app.use("*", security, corsMiddleware);
  app.post("/json", (c) => c.body('{"success":true}', 201, { "Content-Type": "application/json" }));
  app.get("/vary", (c) => {
    c.header("Vary", "Accept");
    return c.text("page");
  });
  app.get("/own", () => new Response("own", { headers: { "content-type": "text/plain" } }));
  app.get("/throws", () => {
    throw new Error("boom");
  });
  return app;
}

const requests: [string, RequestInit][] = [
  ["/json", { method: "POST", body: "{}" }],
  ["/json", { method: "POST", body: "{}", headers: { origin: "https://a.example" } }],
  ["/json", { method: "POST", body: "{}", headers: { origin: "https://foreign.example" } }],
  ["/vary", { headers: { origin: "https://a.example" } }],
  ["/own", { headers: { origin: "https://a.example" } }],
  ["/throws", { headers: { origin: "https://foreign.example" } }],
  ["/missing", { headers: { origin: "https://a.example" } }],
  [
    "/json",
    {
      method: "OPTIONS",
      headers: { origin: "https://a.example", "access-control-request-method": "POST" },
    },
  ],
  [
    "/json",
    {
      method: "OPTIONS",
      headers: { origin: "https://foreign.example", "access-control-request-method": "POST" },
    },
  ],
];

async function answer(app: Hono, [path, init]: [string, RequestInit]) {
  const response = await app.request(path, init);
  return { status: response.status, headers: [...response.headers], body: await response.text() };
}

describe("precomputed security and CORS headers", () => {
  for (const [policy, origin] of [
    ["any origin", "*"],
    ["a list of origins", ["https://a.example", "https://b.example"]],
  ] as const) {
    test(`answer with exactly Hono's headers, for ${policy}, to simple, preflight and foreign-origin requests`, async () => {
      const options = corsOptions(typeof origin === "string" ? origin : [...origin]);
      const hono = appWith(secureHeaders(SECURE_HEADERS_OPTIONS), cors(options));
      const ours = appWith(
        precomputedSecureHeaders(SECURE_HEADERS_OPTIONS),
        precomputedCors(options),
      );
      for (const request of requests) {
        expect({ request, ...(await answer(ours, request)) }).toEqual({
          request,
          ...(await answer(hono, request)),
        });
      }
    });
  }

  test("the security headers are Hono's for its default options too", async () => {
    const hono = appWith(secureHeaders(), cors(corsOptions("*")));
    const ours = appWith(precomputedSecureHeaders({}), precomputedCors(corsOptions("*")));
    for (const request of requests) {
      expect(await answer(ours, request)).toEqual(await answer(hono, request));
    }
  });
});
