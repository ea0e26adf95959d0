import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";

const ANY = "\u0000";
const SEPARATOR = "\u0001";

function cubeKey(site: string, country: string, page: string): string {
  return site + SEPARATOR + country + SEPARATOR + page;
}

/**
 * Counts kept for every combination of (site, country, page) with each part either exact or
 * "any", so a filtered figure is one map lookup. An update touches 8 keys: O(1) per event.
 * Inputs never contain control characters (the schemas refuse them), so the key is unambiguous.
 */
export class CounterCube {
  private readonly counts = new Map<string, number>();

  add({ site, country, page }: Dimensions, delta: number): void {
    for (const s of [site, ANY]) {
      for (const c of [country, ANY]) {
        this.bump(cubeKey(s, c, page), delta);
        this.bump(cubeKey(s, c, ANY), delta);
      }
    }
  }

  get(filter: DimensionFilter): number {
    return (
      this.counts.get(cubeKey(filter.site ?? ANY, filter.country ?? ANY, filter.page ?? ANY)) ?? 0
    );
  }

  has({ site, country, page }: Dimensions): boolean {
    return this.counts.has(cubeKey(site, country, page));
  }

  clear(): void {
    this.counts.clear();
  }

  /** The exact (no "any") combinations and their counts, in the order first counted. */
  *exactEntries(): Generator<[Dimensions, number]> {
    for (const [key, count] of this.counts) {
      if (key.includes(ANY)) continue;
      const [site, country, page] = key.split(SEPARATOR) as [string, string, string];
      yield [{ site, country, page }, count];
    }
  }

  private bump(key: string, delta: number): void {
    const next = (this.counts.get(key) ?? 0) + delta;
    if (next === 0) this.counts.delete(key);
    else this.counts.set(key, next);
  }
}

/** Per-page counts for every (site | any, country | any) pair, to answer `pages_visited` filtered. */
export class PageTable {
  private readonly tables = new Map<string, Map<string, number>>();

  add({ site, country, page }: Dimensions, delta: number): void {
    for (const s of [site, ANY]) {
      for (const c of [country, ANY]) {
        const key = s + SEPARATOR + c;
        let table = this.tables.get(key);
        if (!table) {
          table = new Map();
          this.tables.set(key, table);
        }
        table.set(page, (table.get(page) ?? 0) + delta);
      }
    }
  }

  pages(filter: DimensionFilter): ReadonlyMap<string, number> {
    return this.tables.get((filter.site ?? ANY) + SEPARATOR + (filter.country ?? ANY)) ?? EMPTY;
  }

  clear(): void {
    this.tables.clear();
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
