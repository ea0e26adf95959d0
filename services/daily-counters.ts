import type { DimensionFilter, Dimensions } from "../interfaces/analytics.ts";
import { utcDay } from "./clock.ts";
import { CounterCube } from "./counter-cube.ts";
import { KeyCap, OTHER } from "./key-cap.ts";

/** Most pages `top_pages` lists (the top list the cube keeps is at least this long). */
const TOP_PAGES = 10;

export interface DailyCountersOptions {
  maxTrackedKeys: number;
  /** UTF-8 bytes of the distinct keys of each kind (pages, countries, sites, devices) per day. */
  maxTrackedKeyBytes: number;
  /** Most pages `pages_visited` lists; the rest are summed as `(other)`. */
  statsMaxPages: number;
}

/** `pages_visited` and what goes beside it: the most viewed pages, the rest, distinct pages. */
export interface PagesVisited {
  listed: [page: string, views: number][];
  other: number;
  distinct: number;
}

/**
 * Today's pageviews (the server's UTC day), kept incrementally by site, country and page.
 * Distinct pages, countries, sites and devices are each capped per day, in number and in bytes;
 * the rest fold into `(other)`. So that the combinations stay bounded too, a new combination
 * past ten times the cap folds its page, then its country, then its site.
 */
export class DailyCounters {
  private day = "";
  private dayStartsAt = 0;
  private dayEndsAt = 0;
  private readonly pageviews: CounterCube;
  /**
   * Pageviews by site, country and device (the device in the cube's page place), so a filtered
   * breakdown is one level's list. Its combinations are capped like the pageview ones: past ten
   * times the key cap a new one folds its country, then its site, so at most one more per device
   * key is made.
   */
  private readonly devices = new CounterCube();
  private deviceCombinations = 0;
  private readonly pageKeys: KeyCap;
  private readonly countryKeys: KeyCap;
  private readonly siteKeys: KeyCap;
  private readonly deviceKeys: KeyCap;
  private combinations = 0;
  private readonly maxTrackedKeys: number;

  constructor(private readonly options: DailyCountersOptions) {
    const { maxTrackedKeys, maxTrackedKeyBytes } = options;
    this.maxTrackedKeys = maxTrackedKeys;
    this.pageviews = new CounterCube({ topPages: Math.max(options.statsMaxPages, TOP_PAGES) });
    this.pageKeys = new KeyCap(maxTrackedKeys, maxTrackedKeyBytes);
    this.countryKeys = new KeyCap(maxTrackedKeys, maxTrackedKeyBytes);
    this.siteKeys = new KeyCap(maxTrackedKeys, maxTrackedKeyBytes);
    this.deviceKeys = new KeyCap(maxTrackedKeys, maxTrackedKeyBytes);
  }

  /** Starts a new day when the UTC date has changed; returns true when it did. */
  rollOver(now: number): boolean {
    if (now >= this.dayStartsAt && now < this.dayEndsAt) return false;
    const today = utcDay(now);
    this.dayStartsAt = Date.parse(`${today}T00:00:00Z`);
    this.dayEndsAt = this.dayStartsAt + 86_400_000;
    if (today === this.day) return false;
    const isFirstDay = this.day === "";
    this.day = today;
    this.pageviews.clear();
    this.devices.clear();
    this.deviceCombinations = 0;
    for (const cap of [this.pageKeys, this.countryKeys, this.siteKeys, this.deviceKeys])
      cap.clear();
    this.combinations = 0;
    return !isFirstDay;
  }

  /** When the counted day ends: from then on reads answer an empty day until `rollOver`. */
  get endsAt(): number {
    return this.dayEndsAt;
  }

  /** Reads never roll the day over (the clock's tick does): past the day they answer it empty. */
  private counts(now: number): boolean {
    return now >= this.dayStartsAt && now < this.dayEndsAt;
  }

  recordPageview(dimensions: Dimensions, device: string, now: number): void {
    this.rollOver(now);
    const folded = this.fold(dimensions);
    if (this.pageviews.add(folded, 1)) this.combinations++;
    this.addDevice(folded.site, folded.country, this.deviceKeys.admit(device), 1);
  }

  total(filter: DimensionFilter, now: number): number {
    return this.counts(now) ? this.pageviews.get(filter) : 0;
  }

  /**
   * `pages_visited`: the `statsMaxPages` most viewed pages, the rest summed, and the number of
   * distinct pages; with a page filter, only that page. O(statsMaxPages) whatever the pages.
   */
  pagesVisited(filter: DimensionFilter, now: number): PagesVisited {
    if (!this.counts(now)) return { listed: [], other: 0, distinct: 0 };
    if (filter.page !== undefined) {
      const views = this.pageviews.get(filter);
      return views > 0
        ? { listed: [[filter.page, views]], other: 0, distinct: 1 }
        : { listed: [], other: 0, distinct: 0 };
    }
    const listed = this.pageviews.topPages(filter).slice(0, this.options.statsMaxPages);
    let other = this.pageviews.get(filter);
    for (const [, views] of listed) other -= views;
    return { listed, other, distinct: this.pageviews.distinctPages(filter) };
  }

  /** The `limit` (at most TOP_PAGES) most viewed pages, ties by name; `(other)` is not a page. */
  topPages(filter: DimensionFilter, limit: number, now: number): { page: string; views: number }[] {
    if (!this.counts(now)) return [];
    return this.pageviews
      .topPages(filter)
      .slice(0, Math.min(limit, TOP_PAGES))
      .map(([page, views]) => ({ page, views }));
  }

  /** Today's pageviews by device, narrowed by site and country (a page filter is not kept). */
  deviceBreakdown(filter: DimensionFilter, now: number): Record<string, number> {
    if (!this.counts(now)) return countsOf([]);
    return countsOf(this.devices.pages({ site: filter.site, country: filter.country }));
  }

  countryBreakdown(filter: DimensionFilter, now: number): Record<string, number> {
    if (!this.counts(now)) return countsOf([]);
    const countries =
      filter.country !== undefined ? [filter.country] : [...this.countryKeys.keys(), OTHER];
    const breakdown: [string, number][] = [];
    for (const country of countries) {
      const views = this.pageviews.get({ ...filter, country });
      if (views > 0) breakdown.push([country, views]);
    }
    return countsOf(breakdown);
  }

  fill() {
    return {
      day: this.day,
      pages: this.pageKeys.size,
      countries: this.countryKeys.size,
      sites: this.siteKeys.size,
      devices: this.deviceKeys.size,
      key_bytes: {
        pages: this.pageKeys.bytes,
        countries: this.countryKeys.bytes,
        sites: this.siteKeys.bytes,
        devices: this.deviceKeys.bytes,
      },
      device_combinations: this.deviceCombinations,
      combinations: this.combinations,
      max_tracked_keys: this.maxTrackedKeys,
      max_tracked_key_bytes: this.options.maxTrackedKeyBytes,
      max_combinations: this.maxTrackedKeys * 10,
    };
  }

  exportState(): DailyCountersState {
    return {
      day: this.day,
      combinations: [...this.pageviews.exactEntries()].map(([d, count]) => [
        d.site,
        d.country,
        d.page,
        count,
      ]),
      devices: [...this.devices.exactEntries()].map(([d, count]) => [
        d.site,
        d.country,
        d.page,
        count,
      ]),
      keys: {
        pages: [...this.pageKeys.keys()],
        countries: [...this.countryKeys.keys()],
        sites: [...this.siteKeys.keys()],
        devices: [...this.deviceKeys.keys()],
      },
    };
  }

  importState(state: DailyCountersState): void {
    this.day = "";
    this.dayEndsAt = 0;
    this.rollOver(Date.parse(`${state.day}T00:00:00Z`));
    for (const [site, country, page, count] of state.combinations) {
      const dimensions = { site, country, page };
      this.pageviews.add(dimensions, count);
    }
    this.combinations = state.combinations.length;
    for (const entry of state.devices) {
      if (entry.length === 4) this.addDevice(...entry);
      // A snapshot from before devices were kept by site and country: site and country unknown.
      else this.addDevice(OTHER, OTHER, entry[0], entry[1]);
    }
    this.pageKeys.restore(state.keys.pages);
    this.countryKeys.restore(state.keys.countries);
    this.siteKeys.restore(state.keys.sites);
    this.deviceKeys.restore(state.keys.devices);
  }

  private addDevice(site: string, country: string, device: string, count: number): void {
    let combination = { site, country, page: device };
    // Past the combination cap, a new one folds country then site, as the pageview counters do.
    if (this.deviceCombinations >= this.maxTrackedKeys * 10 && !this.devices.has(combination)) {
      combination = { site, country: OTHER, page: device };
      if (!this.devices.has(combination))
        combination = { site: OTHER, country: OTHER, page: device };
    }
    if (this.devices.add(combination, count)) this.deviceCombinations++;
  }

  private fold(dimensions: Dimensions): Dimensions {
    const folded = {
      site: this.siteKeys.admit(dimensions.site),
      country: this.countryKeys.admit(dimensions.country),
      page: this.pageKeys.admit(dimensions.page),
    };
    if (this.combinations < this.maxTrackedKeys * 10 || this.pageviews.has(folded)) return folded;
    folded.page = OTHER;
    if (this.pageviews.has(folded)) return folded;
    folded.country = OTHER;
    if (this.pageviews.has(folded)) return folded;
    folded.site = OTHER;
    return folded;
  }
}

export interface DailyCountersState {
  day: string;
  combinations: [site: string, country: string, page: string, pageviews: number][];
  /** [site, country, device, pageviews]; older snapshots hold [device, pageviews]. */
  devices: ([string, string, string, number] | [string, number])[];
  keys: { pages: string[]; countries: string[]; sites: string[]; devices: string[] };
}

/**
 * Key to count as a prototype-less object, so any key (`__proto__` included) is an own
 * property like the others, and survives `JSON.stringify`.
 */
export function countsOf(entries: Iterable<readonly [string, number]>): Record<string, number> {
  const counts = Object.create(null) as Record<string, number>;
  for (const [key, count] of entries) counts[key] = count;
  return counts;
}
