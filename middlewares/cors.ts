import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** The options of Hono's cors that Footfall uses: fixed origins, never a function. */
export interface StaticCorsOptions {
  origin: "*" | string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge?: number;
}

/**
 * Hono's cors, with the answer to a simple (non-OPTIONS) request computed once per origin policy:
 * the allowed origin (`*`, or the request's own when listed) and the exposed headers are set on
 * the context's prepared headers before the handler runs, so Hono never builds an early Response
 * whose headers it copies into the handler's (what Hono's cors costs). `Vary: Origin` is appended
 * afterwards as Hono appends it. Preflights are Hono's own middleware. A test holds the headers
 * identical to Hono's for simple, preflight and foreign-origin requests.
 */
export function precomputedCors(options: StaticCorsOptions): MiddlewareHandler {
  const preflight = cors(options);
  const exposed = options.exposeHeaders.length > 0 ? options.exposeHeaders.join(",") : undefined;
  const anyOrigin = options.origin === "*";
  const listed = new Set(anyOrigin ? [] : options.origin);
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return preflight(c, next);
    const allowOrigin = anyOrigin ? "*" : allowedOrigin(c.req.header("origin"), listed);
    if (allowOrigin !== undefined) c.header("Access-Control-Allow-Origin", allowOrigin);
    if (exposed !== undefined) c.header("Access-Control-Expose-Headers", exposed);
    await next();
    const sent = c.res.headers;
    // A handler's own Response (not built through the context) gets them now, as from Hono.
    if (allowOrigin !== undefined && !sent.has("access-control-allow-origin")) {
      sent.set("Access-Control-Allow-Origin", allowOrigin);
    }
    if (exposed !== undefined && !sent.has("access-control-expose-headers")) {
      sent.set("Access-Control-Expose-Headers", exposed);
    }
    if (!anyOrigin) sent.append("Vary", "Origin");
  };
}

function allowedOrigin(origin: string | undefined, listed: ReadonlySet<string>) {
  return origin !== undefined && listed.has(origin) ? origin : undefined;
}
