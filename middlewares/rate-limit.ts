import type { MiddlewareHandler } from "hono";
import { rateLimiter } from "hono-rate-limiter";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";

/** Per client IP, on ingestion routes: `perMinute` requests a minute; 0 turns it off. */
export function ingestionRateLimit(perMinute: number): MiddlewareHandler<AppEnv> {
  if (perMinute === 0) return async (_c, next) => next();
  return rateLimiter<AppEnv>({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: "draft-6",
    keyGenerator: (c) => c.var.clientIp,
    handler: () => {
      throw new ApiError(
        429,
        "rate_limited",
        `Too many requests: at most ${perMinute} a minute from one client`,
      );
    },
  });
}
