import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";
import { OTHER } from "./key-cap.ts";

/** The pages under one (site | any, country | any) pair: their total and each page's count. */
interface PageLevel {
  total: number;
  counts: Map<string, number>;
  /** Kept once the level has been read with more than `topPages` pages (see `topPages`). */
  top?: TopList;
}

/** One site's levels (or every site's): each country's and any country's. */
interface SiteLevels {
  anyCountry: PageLevel | undefined;
  byCountry: Map<string, PageLevel>;
}

/**
 * Counts kept for every combination of (site, country, page) with each part either exact or
 * "any", so a filtered figure is one lookup. Nested maps keyed by the event's own strings (no
 * key concatenation on the hot path); an update finds its 4 levels with 3 lookups and touches 8
 * counters: O(1) per event. The pages under one (site | any, country | any) pair are also what
 * `pages_visited` lists: with `topPages`, a pair read once keeps its most counted pages ranked as
 * counts change, so listing them costs O(topPages) whatever the number of pages; pairs never read
 * (most (site, country) pairs) rank nothing.
 */
export class CounterCube {
  private readonly sites = new Map<string, SiteLevels>();
  private readonly anySite: SiteLevels = { anyCountry: undefined, byCountry: new Map() };

  constructor(private readonly options: { topPages?: number } = {}) {}

  /** Adds `delta` under the combination and every level above it; true when it was not counted before. */
  add({ site, country, page }: Dimensions, delta: number): boolean {
    let siteLevels = this.sites.get(site);
    if (!siteLevels) {
      siteLevels = { anyCountry: undefined, byCountry: new Map() };
      this.sites.set(site, siteLevels);
    }
    const anySite = this.anySite;
    const isNew = addTo(levelOf(siteLevels, country), page, delta) === 0;
    addTo(anyCountryOf(siteLevels), page, delta);
    addTo(levelOf(anySite, country), page, delta);
    addTo(anyCountryOf(anySite), page, delta);
    // Drop emptied levels so counts that come and go (active sessions) leave nothing behind.
    if (delta <= 0) {
      dropEmpty(siteLevels, country);
      if (siteLevels.anyCountry === undefined && siteLevels.byCountry.size === 0)
        this.sites.delete(site);
      dropEmpty(anySite, country);
    }
    return isNew;
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
   * with no more pages than that sorts them all; a larger one is sorted once, then keeps its top
   * list as it counts.
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
    this.anySite.anyCountry = undefined;
    this.anySite.byCountry.clear();
  }

  /** The exact (no "any") combinations and their counts. */
  *exactEntries(): Generator<[Dimensions, number]> {
    for (const [site, { byCountry }] of this.sites) {
      for (const [country, level] of byCountry) {
        for (const [page, count] of level.counts) yield [{ site, country, page }, count];
      }
    }
  }

  private levelAt(filter: DimensionFilter): PageLevel | undefined {
    const siteLevels = filter.site === undefined ? this.anySite : this.sites.get(filter.site);
    if (!siteLevels) return undefined;
    return filter.country === undefined
      ? siteLevels.anyCountry
      : siteLevels.byCountry.get(filter.country);
  }
}

function newLevel(): PageLevel {
  return { total: 0, counts: new Map() };
}

function levelOf(siteLevels: SiteLevels, country: string): PageLevel {
  let level = siteLevels.byCountry.get(country);
  if (!level) {
    level = newLevel();
    siteLevels.byCountry.set(country, level);
  }
  return level;
}

function anyCountryOf(siteLevels: SiteLevels): PageLevel {
  siteLevels.anyCountry ??= newLevel();
  return siteLevels.anyCountry;
}

/** Adds `delta` to the page's count at one level; returns the count it had. */
function addTo(level: PageLevel, page: string, delta: number): number {
  const previous = level.counts.get(page) ?? 0;
  const next = previous + delta;
  if (next === 0) level.counts.delete(page);
  else level.counts.set(page, next);
  // A ranked level follows counts that grow; a count that falls (not pageviews) drops the
  // list, sorted again when next read.
  if (level.top) {
    if (delta > 0) level.top.raised(page, next);
    else level.top = undefined;
  }
  level.total += delta;
  return previous;
}

function dropEmpty(siteLevels: SiteLevels, country: string): void {
  if (siteLevels.byCountry.get(country)?.total === 0) siteLevels.byCountry.delete(country);
  if (siteLevels.anyCountry?.total === 0) siteLevels.anyCountry = undefined;
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
}

/**
 * The `size` most counted pages of one level with more pages than that. Kept for counts that
 * only grow: every page outside the list ranks after every page in it, so only a page whose
 * count rose can enter, by overtaking the last one. The list is kept in rank order: a rise finds
 * the page's place and its new one by binary search (O(log size) comparisons) and moves the
 * pages between by one (a memmove), so a read copies the list, never sorts it (a heap sorted on
 * every read after a change cost ~10-30 µs a stats answer with 100 pages viewed about equally).
 * Only levels that are read keep a list, so the move, at most `size` pointers (~0.2 µs at 100,
 * ~5 µs at 10,000), is paid where a sort on every read would cost far more.
 */
class TopList {
  private readonly list: Ranked[] = [];
  private readonly byPage = new Map<string, Ranked>();

  private constructor(private readonly size: number) {}

  static of(counts: ReadonlyMap<string, number>, size: number): TopList {
    const top = new TopList(size);
    for (const [page, count] of ranked(counts, size)) {
      const entry = { page, count };
      top.list.push(entry);
      top.byPage.set(page, entry);
    }
    return top;
  }

  raised(page: string, count: number): void {
    const entry = this.byPage.get(page);
    if (entry) {
      const at = this.placeOf(entry.page, entry.count, this.list.length);
      entry.count = count;
      this.moveUp(entry, at);
      return;
    }
    if (page === OTHER) return;
    if (this.list.length < this.size) {
      const added = { page, count };
      this.list.push(added);
      this.byPage.set(page, added);
      this.moveUp(added, this.list.length - 1);
      return;
    }
    const last = this.list[this.list.length - 1] as Ranked;
    if (!ranksBefore(page, count, last.page, last.count)) return;
    this.byPage.delete(last.page);
    last.page = page;
    last.count = count;
    this.byPage.set(page, last);
    this.moveUp(last, this.list.length - 1);
  }

  entries(): [string, number][] {
    return this.list.map((entry): [string, number] => [entry.page, entry.count]);
  }

  /** Where in the list's first `end` entries a page with `count` belongs: after every one ranking before it. */
  private placeOf(page: string, count: number, end: number): number {
    let low = 0;
    let high = end;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = this.list[middle] as Ranked;
      if (ranksBefore(other.page, other.count, page, count)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Moves the entry at `at`, whose count rose, to its place among those before it. */
  private moveUp(entry: Ranked, at: number): void {
    const place = this.placeOf(entry.page, entry.count, at);
    if (place === at) return;
    this.list.copyWithin(place + 1, place, at);
    this.list[place] = entry;
  }
}
