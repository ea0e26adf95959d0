import type { CurrentStats, VisitorEvent } from "../interfaces/analytics.ts";
import type { EventInput } from "../schemas/event.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { toVisitorEvent } from "./event-normalizer.ts";

/** The one way an event enters Footfall: normalise, stamp the receive time, publish on the bus. */
export class Ingestion {
  constructor(
    private readonly bus: EventBus,
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
  ) {}

  accept(inputs: readonly EventInput[]): { events: VisitorEvent[]; stats: CurrentStats } {
    const receivedAt = this.clock.now();
    const events = inputs.map((input) => toVisitorEvent(input, receivedAt));
    for (const event of events) this.bus.emit("visitor.event", { event, receivedAt });
    const site = events[events.length - 1]?.site;
    return { events, stats: this.store.currentStats({ site }) };
  }
}
