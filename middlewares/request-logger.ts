import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";

/** Method, path (never the query string: it may hold the token), status and time. No IPs. */
export const requestLogger = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  await next();
  const { logger } = c.var.services;
  const status = c.res.status;
  // A body cut off by its timeout is the client's doing, but worth seeing (slow or hostile clients).
  const level = status >= 500 ? "error" : status === 408 ? "warn" : "debug";
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
