import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";

/**
 * With CORS_ORIGINS set to a list, ingestion refuses events whose Origin is present and not on
 * it, so a site's owner can stop other sites counting into theirs. CORS alone only stops a page
 * from reading the answer; the beacon would still have been counted. Requests without an Origin
 * (servers, curl) are accepted. Undefined when CORS_ORIGINS is `*`: there is nothing to refuse.
 */
export function refuseForeignOrigins(
  corsOrigins: "*" | readonly string[],
): MiddlewareHandler<AppEnv> | undefined {
  if (corsOrigins === "*") return undefined;
  const allowed = new Set(corsOrigins);
  return createMiddleware<AppEnv>(async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !allowed.has(origin)) {
      throw new ApiError(
        403,
        "forbidden_origin",
        "Events from this origin are not accepted: it is not in CORS_ORIGINS",
      );
    }
    await next();
  });
}
