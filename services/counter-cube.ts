import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";
import { OTHER } from "./key-cap.ts";

/** Stands for "any value" at a level; inputs never contain control characters (schemas refuse them). */
const ANY = "\u0000";

/** The pages under one (site | any, country | any) pair: their total and each page's count. */
interface PageLevel {
  total: number;
  counts: Map<string, number>;
  top?: TopList;
}
type CountryLevel = Map<string, PageLevel>;

/**
 * Counts kept for every combination of (site, country, page) with each part either exact or
 * "any", so a filtered figure is one lookup. Nested maps keyed by the event's own strings (no
 * key concatenation on the hot path); an update touches 8 counters: O(1) per event. The pages
 * under one (site | any, country | any) pair are also what `pages_visited` lists: with
 * `topPages`, each pair keeps its most counted pages ranked as counts change, so listing them
 * costs O(topPages) whatever the number of pages.
 */
export class CounterCube {
  private readonly sites = new Map<string, CountryLevel>();

  constructor(private readonly options: { topPages?: number } = {}) {}

  add({ site, country, page }: Dimensions, delta: number): void {
    this.addAt(site, country, page, delta);
    this.addAt(site, ANY, page, delta);
    this.addAt(ANY, country, page, delta);
    this.addAt(ANY, ANY, page, delta);
  }

  get(filter: DimensionFilter): number {
    const level = this.levelAt(filter);
    if (!level) return 0;
    if (filter.page === undefined) return level.total;
    return level.counts.get(filter.page) ?? 0;
  }

  has({ site, country, page }: Dimensions): boolean {
    return this.levelAt({ site, country })?.counts.has(page) ?? false;
  }

  /** Page to count under the filter's site and country (the page filter is ignored here). */
  *pages(filter: DimensionFilter): Generator<[string, number]> {
    const level = this.levelAt(filter);
    if (!level) return;
    yield* level.counts;
  }

  /**
   * The `topPages` most counted pages under the filter's site and country, most counted first,
   * ties by name (so a restart ranks them the same); `(other)` is never one of them. A level
   * with no more pages than that sorts them all; a larger one keeps its top list as it counts.
   */
  topPages(filter: DimensionFilter): [string, number][] {
    const level = this.levelAt(filter);
    if (!level) return [];
    const size = this.options.topPages ?? 0;
    if (!level.top && level.counts.size <= size) return ranked(level.counts, size);
    level.top ??= TopList.of(level.counts, size);
    return level.top.entries();
  }

  /** Distinct pages under the filter's site and country, `(other)` not counted. */
  distinctPages(filter: DimensionFilter): number {
    const level = this.levelAt(filter);
    if (!level) return 0;
    return level.counts.size - (level.counts.has(OTHER) ? 1 : 0);
  }

  clear(): void {
    this.sites.clear();
  }

  /** The exact (no "any") combinations and their counts. */
  *exactEntries(): Generator<[Dimensions, number]> {
    for (const [site, countries] of this.sites) {
      if (site === ANY) continue;
      for (const [country, level] of countries) {
        if (country === ANY) continue;
        for (const [page, count] of level.counts) yield [{ site, country, page }, count];
      }
    }
  }

  private levelAt(filter: DimensionFilter): PageLevel | undefined {
    return this.sites.get(filter.site ?? ANY)?.get(filter.country ?? ANY);
  }

  private addAt(site: string, country: string, page: string, delta: number): void {
    let countries = this.sites.get(site);
    if (!countries) {
      countries = new Map();
      this.sites.set(site, countries);
    }
    let level = countries.get(country);
    if (!level) {
      level = { total: 0, counts: new Map() };
      countries.set(country, level);
    }
    const next = (level.counts.get(page) ?? 0) + delta;
    if (next === 0) level.counts.delete(page);
    else level.counts.set(page, next);
    // Past `topPages` pages a level ranks them as they grow; a count that falls (not pageviews)
    // drops the list, rebuilt by one sort when next read.
    if (level.top) {
      if (delta > 0) level.top.raised(page, next);
      else level.top = undefined;
    } else if (this.options.topPages && delta > 0 && level.counts.size > this.options.topPages) {
      level.top = TopList.of(level.counts, this.options.topPages);
    }
    level.total += delta;
    // Drop emptied levels so counts that come and go (active sessions) leave nothing behind.
    if (level.total === 0) {
      countries.delete(country);
      if (countries.size === 0) this.sites.delete(site);
    }
  }
}

/** Whether `page` (with `count`) ranks before `other` (with `otherCount`): more counted, or tied and first by name. */
function ranksBefore(page: string, count: number, other: string, otherCount: number): boolean {
  return count > otherCount || (count === otherCount && page < other);
}

/** The `size` most counted of `counts` (not `(other)`), in rank order: one sort. */
function ranked(counts: ReadonlyMap<string, number>, size: number): [string, number][] {
  const pages: [string, number][] = [];
  for (const entry of counts) if (entry[0] !== OTHER) pages.push(entry);
  pages.sort((a, b) => (ranksBefore(a[0], a[1], b[0], b[1]) ? -1 : 1));
  return pages.length > size ? pages.slice(0, size) : pages;
}

interface Ranked {
  page: string;
  count: number;
  /** Its place in the heap. */
  at: number;
}

/**
 * The `size` most counted pages of one level with more pages than that. Kept for counts that
 * only grow: every page outside the list ranks after every page in it, so only a page whose
 * count rose can enter, by overtaking the last one. The list is a binary heap with the last in
 * rank order at its root: a rise costs a lookup and O(log size) moves (a scan of the whole list
 * each time the last changed cost a quarter of the live store's time when pages are viewed
 * about equally). Put in rank order when read, by one sort kept until the next change.
 */
class TopList {
  private readonly heap: Ranked[] = [];
  private readonly byPage = new Map<string, Ranked>();
  private inOrder: [string, number][] | undefined;

  private constructor(private readonly size: number) {}

  static of(counts: ReadonlyMap<string, number>, size: number): TopList {
    const top = new TopList(size);
    for (const [page, count] of ranked(counts, size)) top.insert(page, count);
    return top;
  }

  raised(page: string, count: number): void {
    const entry = this.byPage.get(page);
    if (entry) {
      entry.count = count;
      this.inOrder = undefined;
      this.siftDown(entry.at);
      return;
    }
    if (page === OTHER) return;
    if (this.heap.length < this.size) {
      this.insert(page, count);
      return;
    }
    const last = this.heap[0] as Ranked;
    if (!ranksBefore(page, count, last.page, last.count)) return;
    this.inOrder = undefined;
    this.byPage.delete(last.page);
    last.page = page;
    last.count = count;
    this.byPage.set(page, last);
    this.siftDown(0);
  }

  entries(): [string, number][] {
    this.inOrder ??= this.heap
      .map((entry): [string, number] => [entry.page, entry.count])
      .sort((a, b) => (ranksBefore(a[0], a[1], b[0], b[1]) ? -1 : 1));
    return this.inOrder.map(([page, count]) => [page, count]);
  }

  private insert(page: string, count: number): void {
    const entry = { page, count, at: this.heap.length };
    this.heap.push(entry);
    this.byPage.set(page, entry);
    this.inOrder = undefined;
    this.siftUp(entry.at);
  }

  /** Whether the entry at `a` ranks after the one at `b` (nearer the root). */
  private after(a: number, b: number): boolean {
    const first = this.heap[a] as Ranked;
    const second = this.heap[b] as Ranked;
    return ranksBefore(second.page, second.count, first.page, first.count);
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a] as Ranked;
    const second = this.heap[b] as Ranked;
    this.heap[a] = second;
    this.heap[b] = first;
    second.at = a;
    first.at = b;
  }

  private siftUp(index: number): void {
    let at = index;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.after(at, parent)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(index: number): void {
    let at = index;
    const length = this.heap.length;
    while (true) {
      const left = 2 * at + 1;
      if (left >= length) return;
      const right = left + 1;
      const child = right < length && this.after(right, left) ? right : left;
      if (!this.after(child, at)) return;
      this.swap(at, child);
      at = child;
    }
  }
}
