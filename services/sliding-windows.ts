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
