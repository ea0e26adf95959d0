import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { EventInput } from "../../schemas/event.ts";
import type { AnalyticsStore } from "../analytics-store.ts";
import type { Clock } from "../clock.ts";
import { toVisitorEvent } from "../event-normalizer.ts";
import { type EventLog, StorageUnavailableError } from "./event-log.ts";

/**
 * The one way an event enters Footfall: normalise, stamp the receive time, append to the log.
 * The projections count it once it is durable (the pipeline follows the log), so an event the
 * log refused (503) is never half-counted.
 */
export class Ingestion {
  constructor(
    private readonly log: EventLog,
    private readonly live: AnalyticsStore,
    private readonly clock: Clock,
    /** Awaited before enriching (cluster mode: the day's shared salt fetched from Redis). */
    private readonly beforeEnrich?: () => Promise<void>,
  ) {}

  /**
   * Resolves once the events are durable and counted. `enrich` completes each event from its
   * request (the tracker endpoint only).
   */
  async accept(
    inputs: readonly EventInput[],
    enrich?: (event: VisitorEvent) => void,
  ): Promise<VisitorEvent[]> {
    const receivedAt = this.clock.now();
    const events = inputs.map((input) => toVisitorEvent(input, receivedAt));
    // The tracker endpoint's enrichment, before the log: stored and replayed with the event.
    if (enrich !== undefined) {
      if (this.beforeEnrich) {
        await this.beforeEnrich().catch((error: unknown) => {
          throw new StorageUnavailableError(error);
        });
      }
      for (const event of events) enrich(event);
    }
    await this.log.append(events, receivedAt);
    return events;
  }

  /**
   * As `accept`, with the current stats of the last event's site as JSON (the seed's answer).
   * Every request answered after one group commit shares one computation of those stats; an
   * answer that does not carry them (`/api/collect`, `Prefer: return=minimal`) never computes them.
   */
  async acceptWithStats(
    inputs: readonly EventInput[],
  ): Promise<{ events: VisitorEvent[]; statsJson: string }> {
    const events = await this.accept(inputs);
    const site = events[events.length - 1]?.site;
    return { events, statsJson: this.live.currentStatsJson({ site }) };
  }
}
