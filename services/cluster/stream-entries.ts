import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { CommittedEvent } from "../pipeline/event-log.ts";

/** The Redis Stream every instance appends to and tails: the cluster's one ordered event log. */
export const DEFAULT_STREAM = "footfall:events";

/** Entry `0-<position>` as its position. */
export function positionOf(id: string): number {
  const dash = id.indexOf("-");
  return Number(id.slice(dash + 1));
}

export function idOf(position: number): string {
  return `0-${position}`;
}

/** A stream entry as Bun's client answers it: `[id, [field, value, ...]]`. */
export type StreamEntry = [string, string[]];

/** The event an entry holds, at its position. */
export function decodeEntry([id, fields]: StreamEntry): CommittedEvent {
  let receivedAt = 0;
  let json = "{}";
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === "r") receivedAt = Number(fields[i + 1]);
    else if (fields[i] === "e") json = fields[i + 1] as string;
  }
  return { position: positionOf(id), event: JSON.parse(json) as VisitorEvent, receivedAt };
}

/** The entries of one stream in an XREAD / XREADGROUP answer (`{ stream: entries }`, or null). */
export function entriesOf(reply: unknown, stream: string): StreamEntry[] {
  if (reply === null || typeof reply !== "object") return [];
  const entries = (reply as Record<string, unknown>)[stream];
  return Array.isArray(entries) ? (entries as StreamEntry[]) : [];
}

/**
 * The last delivered events by position, for synchronous reads (a reconnecting dashboard's
 * `since`): a fixed ring, so memory stays flat however long the instance runs.
 */
export class RecentEvents {
  private readonly ring: (CommittedEvent | undefined)[];

  constructor(private readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  add(committed: CommittedEvent): void {
    this.ring[committed.position % this.capacity] = committed;
  }

  /** The events after `position` up to `last` that the ring still holds, in order. */
  *after(position: number, last: number): Generator<CommittedEvent> {
    for (let p = Math.max(position + 1, last - this.capacity + 1); p <= last; p++) {
      const committed = this.ring[p % this.capacity];
      // Missing (never delivered here, or overwritten): the reader sees the gap.
      if (committed !== undefined && committed.position === p) yield committed;
    }
  }
}
