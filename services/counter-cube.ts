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
}

/**
 * The `size` most counted pages of one level with more pages than that. Kept for counts that
 * only grow: every page outside the list ranks after every page in it, so only a page whose
 * count rose can enter, by overtaking the last one (the list's minimum, known). A rise costs a
 * lookup and a comparison; O(size) when the minimum changes. Put in order when read, by an
 * insertion sort of an almost sorted list.
 */
class TopList {
  private readonly list: Ranked[] = [];
  private readonly byPage = new Map<string, Ranked>();
  /** The last in rank order (undefined while the list is empty). */
  private last: Ranked | undefined;
  private sorted = true;

  private constructor(private readonly size: number) {}

  static of(counts: ReadonlyMap<string, number>, size: number): TopList {
    const top = new TopList(size);
    for (const [page, count] of ranked(counts, size)) top.push(page, count);
    top.last = top.list[top.list.length - 1];
    return top;
  }

  raised(page: string, count: number): void {
    const entry = this.byPage.get(page);
    if (entry) {
      entry.count = count;
      this.sorted = false;
      if (entry === this.last) this.findLast();
      return;
    }
    if (page === OTHER) return;
    this.sorted = false;
    if (this.list.length < this.size) {
      this.push(page, count);
      this.findLast();
      return;
    }
    const last = this.last as Ranked;
    if (!ranksBefore(page, count, last.page, last.count)) return;
    this.byPage.delete(last.page);
    last.page = page;
    last.count = count;
    this.byPage.set(page, last);
    this.findLast();
  }

  private push(page: string, count: number): void {
    const entry = { page, count };
    this.list.push(entry);
    this.byPage.set(page, entry);
  }

  entries(): [string, number][] {
    const list = this.list;
    if (!this.sorted) {
      for (let index = 1; index < list.length; index++) {
        const entry = list[index] as Ranked;
        let at = index;
        for (; at > 0; at--) {
          const above = list[at - 1] as Ranked;
          if (!ranksBefore(entry.page, entry.count, above.page, above.count)) break;
          list[at] = above;
        }
        list[at] = entry;
      }
      this.sorted = true;
    }
    return list.map((entry) => [entry.page, entry.count]);
  }

  private findLast(): void {
    let last = this.list[0];
    for (const entry of this.list)
      if (last && ranksBefore(last.page, last.count, entry.page, entry.count)) last = entry;
    this.last = last;
  }
}
