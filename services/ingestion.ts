import type { VisitorEvent } from "../interfaces/analytics.ts";
import type { EventInput } from "../schemas/event.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";
import { toVisitorEvent } from "./event-normalizer.ts";

/**
 * Where accepted events are made durable before anyone counts them: `onCommitted` runs right
 * after the transaction holding them commits, in log order, before `append` resolves.
 */
export interface EventSink {
  append(
    events: readonly VisitorEvent[],
    receivedAt: number,
    onCommitted: () => void,
  ): Promise<void>;
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

  /**
   * Resolves once the events are durable and counted, with the current stats of their site as
   * JSON. Every request answered after one group commit shares one computation of those stats.
   */
  async accept(
    inputs: readonly EventInput[],
  ): Promise<{ events: VisitorEvent[]; statsJson: string }> {
    const receivedAt = this.clock.now();
    const events = inputs.map((input) => toVisitorEvent(input, receivedAt));
    await this.sink.append(events, receivedAt, () => {
      for (const event of events) this.bus.emit("visitor.event", { event, receivedAt });
    });
    const site = events[events.length - 1]?.site;
    return { events, statsJson: this.store.currentStatsJson({ site }) };
  }
}
