import type { RedisClient } from "bun";
import { ARCHIVERS_GROUP, archivedThrough } from "./archiver.ts";
import { decodeEntry, idOf, positionOf, type StreamEntry } from "./stream-entries.ts";
import { withTimeout } from "./with-timeout.ts";

/** For operators (GET /metrics): how far this instance and the archive are behind the stream. */
export interface ClusterMetrics {
  /** Events in the stream this instance has not applied yet (head − applied position). */
  lagEvents: number;
  /** Now − the receive time of the oldest event not applied yet; 0 when none. */
  lagMs: number;
  /** Events in the stream not archived in Postgres yet (head − archive position). */
  archiveLagEvents: number;
}

/** One reading of Redis: the stream's head, the archive position, the oldest event unapplied. */
export interface StreamFigures {
  head: number;
  archived: number;
  oldestUnapplied: number;
  oldestReceivedAt: number;
}

export const NO_FIGURES: StreamFigures = {
  head: 0,
  archived: 0,
  oldestUnapplied: 0,
  oldestReceivedAt: 0,
};

/** Reads the stream's head, the group's archived-through position and the oldest unapplied event. */
export async function readStreamFigures(
  redis: RedisClient,
  stream: string,
  applied: number,
): Promise<StreamFigures> {
  const info = (await withTimeout(redis.send("XINFO", ["STREAM", stream]), 1000)) as Record<
    string,
    unknown
  >;
  const head = positionOf(String(info["last-generated-id"] ?? "0-0"));
  const archived = await withTimeout(archivedThrough(redis, stream, ARCHIVERS_GROUP), 1000);
  let oldestUnapplied = 0;
  let oldestReceivedAt = 0;
  if (head > applied) {
    const range = [stream, `(${idOf(applied)}`, "+", "COUNT", "1"];
    const [entry] = (await withTimeout(redis.send("XRANGE", range), 1000)) as StreamEntry[];
    if (entry) {
      const oldest = decodeEntry(entry);
      oldestUnapplied = oldest.position;
      oldestReceivedAt = oldest.receivedAt;
    }
  }
  return { head, archived, oldestUnapplied, oldestReceivedAt };
}

/**
 * Stream lag of an instance at `applied` and archive lag, from a reading of Redis. `lagMs` is
 * measured from the oldest event unapplied at that reading: while the instance is behind, it may
 * be high by up to the reading's age.
 */
export function lagOf(figures: StreamFigures, applied: number): ClusterMetrics {
  const { head: readHead, archived, oldestUnapplied, oldestReceivedAt } = figures;
  const head = Math.max(readHead, applied);
  const lagEvents = head - applied;
  const lagMs =
    lagEvents > 0 && oldestUnapplied > 0 ? Math.max(0, Date.now() - oldestReceivedAt) : 0;
  return { lagEvents, lagMs, archiveLagEvents: Math.max(0, head - archived) };
}
