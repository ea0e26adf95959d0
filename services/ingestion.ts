import type { CurrentStats, VisitorEvent } from "../interfaces/analytics.ts";
import type { EventInput } from "../schemas/event.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { toVisitorEvent } from "./event-normalizer.ts";

/** Where accepted events are made durable before anyone counts them. */
export interface EventSink {
  append(events: readonly VisitorEvent[], receivedAt: number): Promise<void>;
}

/**
 * The one way an event enters Footfall: normalise, stamp the receive time, make durable, then
 * publish on the bus. Counting only committed events keeps the live state a replay of the log,
 * and an event the store refused (503) is never half-counted.
 */
export class Ingestion {
  constructor(
    private readonly bus: EventBus,
    private readonly store: AnalyticsStore,
    private readonly sink: EventSink,
    private readonly clock: Clock,
  ) {}

  async accept(
    inputs: readonly EventInput[],
  ): Promise<{ events: VisitorEvent[]; stats: CurrentStats }> {
    const receivedAt = this.clock.now();
    const events = inputs.map((input) => toVisitorEvent(input, receivedAt));
    await this.sink.append(events, receivedAt);
    for (const event of events) this.bus.emit("visitor.event", { event, receivedAt });
    const site = events[events.length - 1]?.site;
    return { events, stats: this.store.currentStats({ site }) };
  }
}
