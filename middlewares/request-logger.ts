import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";

/**
 * Method, path (never the query string: it may hold the token), status and time. No IPs.
 * Ordinary requests are logged at debug: below that level the middleware only reads the status
 * (`c.get`, not `c.var`, which builds an object of every variable on each read).
 */
export const requestLogger = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const status = c.res.status;
  // A body cut off by its timeout is the client's doing, but worth seeing (slow or hostile clients).
  const level = status >= 500 ? "error" : status === 408 ? "warn" : "debug";
  const { logger } = c.get("services");
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    },
    "request",
  );
});
