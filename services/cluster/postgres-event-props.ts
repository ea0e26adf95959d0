import type { SQL } from "bun";
import { utcDay } from "../clock.ts";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import { OTHER_VALUE } from "../storage/event-props.ts";

/** Metadata the event schema names for itself: not a custom property (as event-props.ts). */
const NAMED_METADATA = new Set(["device", "referrer"]);
/** (site, property, day) triples followed; past it every new triple's values are `(other)`. */
const MAX_PAIRS = 10_000;

interface PropRow {
  event_id: number;
  site: string;
  received_at: number;
  name: string;
  key: string;
  value: string;
}

/**
 * Custom events' properties archived into Postgres's `event_props`, in the transaction of their
 * events, each (site, property)'s distinct values capped per UTC day as on SQLite
 * (services/storage/event-props.ts): a set per triple, seeded from the stored rows the first time
 * it is met. Across archivers the cap is approximate: each seeds from what is committed and then
 * admits on its own, so while several archive the same day, a property may keep up to the cap
 * per archiver before every one has seen the others' values (the next seed, after a restart or
 * a new day, sees them all).
 */
export class PostgresEventProps {
  private newestDay = "";
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly valuesPerDay: number) {}

  /** Writes the properties of the custom events among `events` (within `tx`, the events' transaction). */
  async write(tx: SQL, events: readonly CommittedEvent[]): Promise<number> {
    const rows: PropRow[] = [];
    for (const { position, event, receivedAt } of events) {
      if (event.type !== "custom" || event.name === undefined) continue;
      for (const key in event.metadata) {
        if (NAMED_METADATA.has(key)) continue;
        const value = event.metadata[key];
        if (value === null || value === undefined) continue;
        const stored = await this.admit(tx, event.site, key, String(value), receivedAt);
        rows.push({
          event_id: position,
          site: event.site,
          received_at: receivedAt,
          name: event.name,
          key,
          value: stored,
        });
      }
    }
    if (rows.length > 0)
      await tx`INSERT INTO event_props ${tx(rows)} ON CONFLICT (event_id, key) DO NOTHING`;
    return rows.length;
  }

  private async admit(
    tx: SQL,
    site: string,
    key: string,
    value: string,
    receivedAt: number,
  ): Promise<string> {
    const day = utcDay(receivedAt);
    if (day > this.newestDay) {
      // A new day forgets the days before it (a late batch of yesterday is seeded again).
      this.newestDay = day;
      this.seen.clear();
    }
    const triple = `${day}\u0000${site}\u0000${key}`;
    let values = this.seen.get(triple);
    if (values === undefined) {
      if (this.seen.size >= MAX_PAIRS) return OTHER_VALUE;
      const start = Date.parse(`${day}T00:00:00Z`);
      const rows = (await tx`SELECT DISTINCT value FROM event_props WHERE site = ${site}
        AND key = ${key} AND received_at >= ${start} AND received_at < ${start + 86_400_000}
        AND value <> ${OTHER_VALUE} LIMIT ${this.valuesPerDay}`) as { value: string }[];
      values = new Set(rows.map((row) => row.value));
      this.seen.set(triple, values);
    }
    if (values.has(value)) return value;
    if (values.size >= this.valuesPerDay) return OTHER_VALUE;
    values.add(value);
    return value;
  }
}
