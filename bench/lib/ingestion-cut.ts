import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { EventInput } from "../../schemas/event.ts";

const EMPTY_STATS = '{"total_active":0,"total_today":0,"pages_visited":{}}';

/**
 * Cuts ingestion out of a running Footfall: the methods the ingestion routes call are replaced,
 * so events are normalised (and, for /api/collect, enriched) as in production, then neither
 * committed nor counted, and the answer carries empty stats; everything before and after them
 * is production code. `toVisitorEvent` is the normaliser of the tree the server comes from.
 */
export function cutIngestion(
  ingestion: object,
  toVisitorEvent: (input: EventInput, receivedAt: number) => VisitorEvent,
): void {
  const accept = async (inputs: readonly EventInput[], enrich?: (event: VisitorEvent) => void) =>
    inputs.map((input) => {
      const event = toVisitorEvent(input, Date.now());
      enrich?.(event);
      return event;
    });
  Object.assign(ingestion, {
    accept,
    acceptWithStats: async (inputs: readonly EventInput[]) => ({
      events: await accept(inputs),
      statsJson: EMPTY_STATS,
    }),
  });
}
