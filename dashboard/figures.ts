import type { DetailedStats, DimensionFilter, LiveStats, ShownEvent } from "./protocol.ts";

export interface Counters {
  active: number;
  lastMinute: number;
  today: number;
  /** Distinct visitors of the last 5 minutes (absent from a server that does not send it). */
  rightNow: number | undefined;
  /**
   * Server time (ms) the figures were made: a detailed answer's `generated_at`; a frame's stats
   * are newer than every frame before them (Infinity).
   */
  asOf: number;
  /** Which figures these are, in the order received (`Figures.received`). */
  seq: number;
}

/** The counters and the breakdowns (pages, countries, devices) under this view's filter. */
export class Figures {
  counters: Counters | undefined;
  pages: Record<string, number> = {};
  countries = new Map<string, number>();
  devices = new Map<string, number>();
  /** Figures received so far: a session that began leaving after the latest was still counted in it. */
  received = 0;

  /** A pageview received live counts in its country and device until fresh figures arrive. */
  countPageview(event: ShownEvent): void {
    increment(this.countries, event.country);
    increment(this.devices, event.device);
  }

  applyStats(stats: LiveStats): void {
    this.counters = {
      active: stats.total_active,
      lastMinute: stats.visitors_last_minute,
      today: stats.total_today,
      rightNow: stats.visitors_right_now,
      asOf: Number.POSITIVE_INFINITY,
      seq: ++this.received,
    };
    this.pages = stats.pages_visited;
  }

  /** A detailed answer for `filter`, the view's filter. */
  applyDetailed(details: DetailedStats, filter: DimensionFilter): void {
    const { summary } = details;
    this.counters = {
      active: summary.total_active,
      lastMinute: details.visitors_last_minute,
      today: summary.total_today,
      rightNow: summary.visitors_right_now,
      asOf: Date.parse(details.generated_at),
      seq: ++this.received,
    };
    this.pages = summary.pages_visited;
    // The breakdown answers for every country; a country filter shows only its own.
    const countries = Object.entries(details.country_breakdown).filter(
      ([country]) => filter.country === undefined || country === filter.country,
    );
    this.countries = new Map(countries);
    this.devices = new Map(Object.entries(details.device_breakdown));
  }

  clear(): void {
    this.countries = new Map();
    this.devices = new Map();
    this.pages = {};
    this.counters = undefined;
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
