import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";

/** Stands for "any value" at a level; inputs never contain control characters (schemas refuse them). */
const ANY = "\u0000";

/**
 * The pages under one (site | any, country | any) pair: their total, and each page's count in a
 * prototype-less object rather than a Map, because `pages_visited` is serialised on every
 * ingestion answer and `JSON.stringify` of an object is ~5x faster than building one from a Map.
 */
interface PageLevel {
  total: number;
  pages: Record<string, number>;
}
type CountryLevel = Map<string, PageLevel>;

/**
 * Counts kept for every combination of (site, country, page) with each part either exact or
 * "any", so a filtered figure is one lookup. Nested maps keyed by the event's own strings (no
 * key concatenation on the hot path); an update touches 8 counters: O(1) per event. The pages
 * under one (site | any, country | any) pair are also what `pages_visited` lists.
 */
export class CounterCube {
  private readonly sites = new Map<string, CountryLevel>();

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
    return level.pages[filter.page] ?? 0;
  }

  has({ site, country, page }: Dimensions): boolean {
    return this.levelAt({ site, country })?.pages[page] !== undefined;
  }

  /** Page to count under the filter's site and country (the page filter is ignored here). */
  *pages(filter: DimensionFilter): Generator<[string, number]> {
    const level = this.levelAt(filter);
    if (!level) return;
    for (const page in level.pages) yield [page, level.pages[page] as number];
  }

  /**
   * The live page counts under the filter's site and country, for serialising at once: callers
   * must neither keep nor change it.
   */
  pagesView(filter: DimensionFilter): Readonly<Record<string, number>> | undefined {
    return this.levelAt(filter)?.pages;
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
        for (const page in level.pages)
          yield [{ site, country, page }, level.pages[page] as number];
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
      level = { total: 0, pages: Object.create(null) as Record<string, number> };
      countries.set(country, level);
    }
    const next = (level.pages[page] ?? 0) + delta;
    if (next === 0) delete level.pages[page];
    else level.pages[page] = next;
    level.total += delta;
    // Drop emptied levels so counts that come and go (active sessions) leave nothing behind.
    if (level.total === 0) {
      countries.delete(country);
      if (countries.size === 0) this.sites.delete(site);
    }
  }
}
