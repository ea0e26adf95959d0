import type { Database, Statement } from "bun:sqlite";
import { utcDay } from "../clock.ts";

/** The stored value of a property past its daily cap of distinct values. */
export const OTHER_VALUE = "(other)";
/** Metadata the event schema names for itself: not a custom property. */
const NAMED_METADATA = new Set(["device", "referrer"]);
/** (site, property) pairs followed a day; past it every new pair's values are `(other)`. */
const MAX_PAIRS_PER_DAY = 10_000;

/**
 * Custom events' properties, one row each in `event_props`, written in the transaction of the
 * events. Each (site, property)'s distinct values are capped per UTC day: a bounded set per pair,
 * forgotten at midnight, seeded from the day's stored rows the first time a pair is seen (so a
 * restart does not let another `cap` values in).
 */
export class EventProps {
  private day = "";
  private seen = new Map<string, Set<string>>();
  private insert!: Statement;
  private seed!: Statement;

  constructor(
    db: Database,
    private readonly valuesPerDay: number,
  ) {
    this.attach(db);
  }

  attach(db: Database): void {
    this.insert = db.query(
      "INSERT OR REPLACE INTO event_props (event_id, site, received_at, name, key, value) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.seed = db.query(
      `SELECT DISTINCT value FROM event_props WHERE site = ? AND key = ? AND received_at >= ?
         AND received_at < ? AND value <> '${OTHER_VALUE}' LIMIT ?`,
    );
    this.seen.clear();
  }

  /** Writes the properties of one custom event (the caller holds the transaction). */
  write(
    eventId: number,
    site: string,
    name: string,
    receivedAt: number,
    metadata: Record<string, unknown>,
  ): void {
    for (const key in metadata) {
      if (NAMED_METADATA.has(key)) continue;
      const value = metadata[key];
      if (value === null || value === undefined) continue;
      const stored = this.admit(site, key, String(value), receivedAt);
      this.insert.run(eventId, site, receivedAt, name, key, stored);
    }
  }

  private admit(site: string, key: string, value: string, receivedAt: number): string {
    const day = utcDay(receivedAt);
    if (day !== this.day) {
      this.day = day;
      this.seen.clear();
    }
    const pair = `${site}\u0000${key}`;
    let values = this.seen.get(pair);
    if (values === undefined) {
      if (this.seen.size >= MAX_PAIRS_PER_DAY) return OTHER_VALUE;
      const start = Date.parse(`${day}T00:00:00Z`);
      const rows = this.seed.all(site, key, start, start + 86_400_000, this.valuesPerDay) as {
        value: string;
      }[];
      values = new Set(rows.map((row) => row.value));
      this.seen.set(pair, values);
    }
    if (values.has(value)) return value;
    if (values.size >= this.valuesPerDay) return OTHER_VALUE;
    values.add(value);
    return value;
  }
}
