import type { RedisClient } from "bun";
import type { Env } from "hono";
import { type RedisClient as LimiterRedisClient, RedisStore, type Store } from "hono-rate-limiter";

/** Keys of the shared per-IP budget: one counter a client a window, expiring with it. */
const PREFIX = "footfall:rate:";

/** hono-rate-limiter's Redis client over Bun's RedisClient (`send`; EVALSHA runs its scripts). */
function limiterClient(redis: RedisClient): LimiterRedisClient {
  return {
    scriptLoad: (script) => redis.send("SCRIPT", ["LOAD", script]) as Promise<string>,
    evalsha: <TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs) =>
      redis.send("EVALSHA", [
        sha,
        String(keys.length),
        ...keys,
        ...args.map(String),
      ]) as Promise<TData>,
    decr: (key) => redis.decr(key),
    del: (key) => redis.del(key),
  };
}

/**
 * The rate limit's hit counts in Redis, so every instance counts one client's requests together
 * (hono-rate-limiter's RedisStore, its Lua scripts atomic in Redis). While Redis is unreachable
 * the limit lets requests through: ingestion answers 503 then anyway.
 */
export function redisRateLimitStore<E extends Env>(redis: RedisClient): Store<E> {
  const store = new RedisStore<E>({ client: limiterClient(redis), prefix: PREFIX });
  return {
    init: (options) => store.init(options),
    prefix: PREFIX,
    localKeys: false,
    async increment(key) {
      try {
        return await store.increment(key);
      } catch {
        return { totalHits: 0 };
      }
    },
    async decrement(key) {
      await store.decrement(key).catch(() => {});
    },
    async resetKey(key) {
      await store.resetKey(key).catch(() => {});
    },
    get: async (key) => store.get(key).catch(() => undefined),
  };
}
