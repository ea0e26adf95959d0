import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";
import { matchesFilter } from "../schemas/filter-match.ts";
import { CounterCube } from "./counter-cube.ts";
import { LinkedOrder } from "./linked-order.ts";
import { RecencyList } from "./recency-list.ts";

/**
 * Distinct keys seen within the last `windowMs`, in order of last sighting and pruned from the
 * oldest, so both touch and count are amortised O(1). Bounded: past `maxKeys` the stalest goes.
 */
export class DistinctWindow {
  private readonly lastSeen = new RecencyList<number>();

  constructor(
    readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  touch(key: string, now: number): void {
    // Writes forget what left the window (amortised O(1)), so a read steps over at most what left
    // since the last event or tick, even when no tick runs (a replay).
    this.prune(now);
    this.lastSeen.touch(key, now);
    if (this.lastSeen.size > this.maxKeys) {
      const stalest = this.lastSeen.oldestKey();
      if (stalest !== undefined) this.lastSeen.delete(stalest);
    }
  }

  /**
   * Keys seen within the window before `now`. A read changes nothing: it steps over the keys that
   * left the window since the last event or tick (at most a second's worth).
   */
  count(now: number): number {
    let left = 0;
    for (const [, seenAt] of this.lastSeen.oldestFirst()) {
      if (now - seenAt < this.windowMs) break;
      left++;
    }
    return this.lastSeen.size - left;
  }

  /** Forgets the keys that left the window (on the clock's tick). */
  prune(now: number): void {
    for (let key = this.lastSeen.oldestKey(); key !== undefined; key = this.lastSeen.oldestKey()) {
      if (now - (this.lastSeen.get(key) as number) < this.windowMs) break;
      this.lastSeen.delete(key);
    }
  }

  exportState(): [string, number][] {
    return [...this.lastSeen.oldestFirst()];
  }

  importState(entries: readonly [string, number][]): void {
    this.lastSeen.clear();
    for (const [key, seenAt] of entries) this.lastSeen.touch(key, seenAt);
  }
}

/**
 * A key's last sighting in a `FilteredDistinctWindow`: when, and under which dimensions; its own
 * node in the window's order (one object a key).
 */
interface Sighting extends Dimensions {
  key: string;
  seenAt: number;
  older: Sighting | undefined;
  newer: Sighting | undefined;
}

/** `FilteredDistinctWindow`'s state: `[key, seenAt, site, country, page]`, oldest first. */
export type FilteredDistinctState = [string, number, string, string, string][];

/**
 * As `DistinctWindow`, countable under any filter: each key counts under the dimensions (site,
 * country, page) of its last sighting, in a counter cube moved as keys come, move and leave, so a
 * touch is amortised O(1) and a count is a lookup less the keys that left since the last prune.
 * Reads change nothing; writes and ticks prune. The sightings are in order of last touch, linked
 * through themselves (see LinkedOrder for why a Map alone is not enough).
 */
export class FilteredDistinctWindow {
  private readonly sightings = new Map<string, Sighting>();
  private readonly order = new LinkedOrder<Sighting>();
  private readonly counts = new CounterCube();

  constructor(
    readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  touch(key: string, dimensions: Dimensions, now: number): void {
    this.prune(now);
    const { site, country, page } = dimensions;
    let sighting = this.sightings.get(key);
    if (sighting) {
      this.counts.add(sighting, -1);
      sighting.seenAt = now;
      sighting.site = site;
      sighting.country = country;
      sighting.page = page;
      this.order.touch(sighting);
    } else {
      sighting = { key, seenAt: now, site, country, page, older: undefined, newer: undefined };
      this.sightings.set(key, sighting);
      this.order.append(sighting);
    }
    this.counts.add(dimensions, 1);
    const { oldest } = this.order;
    if (this.sightings.size > this.maxKeys && oldest) this.forget(oldest);
  }

  /** Keys seen within the window before `now` whose last sighting falls under the filter. */
  count(filter: DimensionFilter, now: number): number {
    let count = this.counts.get(filter);
    for (let sighting = this.order.oldest; sighting; sighting = sighting.newer) {
      if (now - sighting.seenAt < this.windowMs) break;
      if (matchesFilter(sighting, filter)) count--;
    }
    return count;
  }

  /** When the oldest key leaves the window (a count read before then stays true until then). */
  nextExpiryAt(): number {
    const { oldest } = this.order;
    return oldest ? oldest.seenAt + this.windowMs : Number.POSITIVE_INFINITY;
  }

  /** Forgets the keys that left the window (on the clock's tick, and before each touch). */
  prune(now: number): void {
    for (let oldest = this.order.oldest; oldest && now - oldest.seenAt >= this.windowMs; ) {
      this.forget(oldest);
      oldest = this.order.oldest;
    }
  }

  exportState(): FilteredDistinctState {
    const state: FilteredDistinctState = [];
    for (const s of this.order.oldestFirst())
      state.push([s.key, s.seenAt, s.site, s.country, s.page]);
    return state;
  }

  importState(entries: FilteredDistinctState | undefined): void {
    this.sightings.clear();
    this.order.clear();
    this.counts.clear();
    for (const [key, seenAt, site, country, page] of entries ?? []) {
      const previous = this.sightings.get(key);
      if (previous) this.forget(previous);
      const sighting = { key, seenAt, site, country, page, older: undefined, newer: undefined };
      this.sightings.set(key, sighting);
      this.order.append(sighting);
      this.counts.add(sighting, 1);
    }
  }

  private forget(sighting: Sighting): void {
    this.sightings.delete(sighting.key);
    this.order.remove(sighting);
    this.counts.add(sighting, -1);
  }
}

/** Events per second over the last minute, in 60 one-second buckets. */
export class RateWindow {
  private readonly buckets = new Float64Array(60);
  private readonly bucketSecond = new Float64Array(60).fill(-1);

  record(now: number, count = 1): void {
    const second = Math.floor(now / 1000);
    const slot = second % 60;
    if (this.bucketSecond[slot] !== second) {
      this.bucketSecond[slot] = second;
      this.buckets[slot] = 0;
    }
    this.buckets[slot] = (this.buckets[slot] ?? 0) + count;
  }

  exportState(): { buckets: number[]; seconds: number[] } {
    return { buckets: [...this.buckets], seconds: [...this.bucketSecond] };
  }

  importState(state: { buckets: number[]; seconds: number[] }): void {
    this.buckets.set(state.buckets);
    this.bucketSecond.set(state.seconds);
  }

  /** Total over the 60 seconds up to now. */
  total(now: number): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let slot = 0; slot < 60; slot++) {
      if (second - (this.bucketSecond[slot] ?? -1) < 60) sum += this.buckets[slot] ?? 0;
    }
    return sum;
  }
}

/** The newest `capacity` items, newest first. */
export class RecentItems<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private filled = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  newestFirst(): T[] {
    const result: T[] = [];
    for (let offset = 1; offset <= this.filled; offset++) {
      result.push(this.items[(this.next - offset + this.capacity) % this.capacity] as T);
    }
    return result;
  }

  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.filled = 0;
  }
}
