import type { SQL } from "bun";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import { readArchived } from "./archived-events.ts";
import type { RedisEventLog } from "./redis-event-log.ts";
import { StreamGapError } from "./stream-tail.ts";

/**
 * Every event after `position`: the archive first, then the stream; a gap in the stream (trimmed
 * before this instance read it) is read from the archive again.
 */
export async function* eventsAfter(
  sql: SQL,
  log: RedisEventLog,
  position: number,
): AsyncGenerator<CommittedEvent> {
  let at = position;
  for await (const committed of readArchived(sql, at)) {
    yield committed;
    at = committed.position;
  }
  while (true) {
    try {
      for await (const committed of log.readFromAsync(at)) {
        yield committed;
        at = committed.position;
      }
      return;
    } catch (error) {
      if (!(error instanceof StreamGapError)) throw error;
      const before = at;
      for await (const committed of readArchived(sql, at)) {
        yield committed;
        at = committed.position;
      }
      if (at === before) {
        throw new Error(
          `events ${error.from} to ${error.next - 1} are neither in the stream nor archived`,
        );
      }
    }
  }
}
