import type { VisitorEvent } from "../interfaces/analytics.ts";

/** An event as dashboards and read answers show it: the client's clock, else the receive time. */
export type EventView = Omit<VisitorEvent, "timestamp"> & { timestamp: string };

/**
 * The event as it was submitted (its `metadata` untouched, `device` and `referrer` included), with
 * `timestamp` never null: a client that sent none sees when the server received it (`received_at`
 * stays beside it either way).
 */
export function toEventView(event: VisitorEvent): EventView {
  return event.timestamp === null
    ? { ...event, timestamp: event.received_at }
    : (event as EventView);
}
