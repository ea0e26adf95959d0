import type { MiddlewareHandler } from "hono";
import { rateLimiter } from "hono-rate-limiter";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";
import { redisRateLimitStore } from "../services/cluster/redis-rate-limit-store.ts";
import { clientIpOf } from "./client-ip.ts";

/**
 * Per client IP, on ingestion routes: `perMinute` requests a minute; 0 turns it off (undefined). In cluster
 * mode the counts are in Redis, shared by every instance (built at the first request, when the
 * services are known); otherwise in memory.
 */
export function ingestionRateLimit(perMinute: number): MiddlewareHandler<AppEnv> | undefined {
  if (perMinute === 0) return undefined;
  let limiter: MiddlewareHandler<AppEnv> | undefined;
  return (c, next) => {
    limiter ??= rateLimiter<AppEnv>({
      windowMs: 60_000,
      limit: perMinute,
      standardHeaders: "draft-6",
      keyGenerator: clientIpOf,
      ...(c.var.services.cluster
        ? { store: redisRateLimitStore<AppEnv>(c.var.services.cluster.redis) }
        : {}),
      handler: () => {
        throw new ApiError(
          429,
          "rate_limited",
          `Too many requests: at most ${perMinute} a minute from one client`,
        );
      },
    });
    return limiter(c, next);
  };
}
