import type { RedisClient } from "bun";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import { decodeEntry, idOf, type StreamEntry } from "./stream-entries.ts";
import { StreamGapError } from "./stream-tail.ts";

/** Every event `stream` holds after `position`, in order, a page at a time; throws at a trimmed gap. */
export async function* streamAfter(
  redis: RedisClient,
  stream: string,
  position: number,
  pageSize = 1000,
): AsyncGenerator<CommittedEvent> {
  let expected = position + 1;
  while (true) {
    const range = [`(${idOf(expected - 1)}`, "+", "COUNT", String(pageSize)];
    const entries = (await redis.send("XRANGE", [stream, ...range])) as StreamEntry[];
    for (const entry of entries) {
      const committed = decodeEntry(entry);
      if (committed.position !== expected) throw new StreamGapError(expected, committed.position);
      expected++;
      yield committed;
    }
    if (entries.length < pageSize) return;
  }
}

/**
 * Redis's AOF settings, for a start-up warning: only `appendonly yes` with `appendfsync always`
 * (or replicas through REDIS_MIN_REPLICAS) keeps acknowledged events when Redis is killed;
 * `everysec` may lose up to 2 s of them. Undefined where CONFIG is not allowed (managed Redis).
 */
export async function redisPersistence(
  redis: RedisClient,
): Promise<{ appendonly: string; appendfsync: string } | undefined> {
  try {
    const reply = (await redis.send("CONFIG", ["GET", "append*"])) as Record<string, string>;
    return { appendonly: reply.appendonly ?? "", appendfsync: reply.appendfsync ?? "" };
  } catch {
    return undefined;
  }
}
