import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { utcDay } from "../clock.ts";
import { DistinctWindow } from "../sliding-windows.ts";

/** A visit the log already holds: its session, when it came and its position. */
export interface SeenVisit {
  sessionId: string;
  receivedAt: number;
  position: number;
}

/** Where a window that starts watching now learns what came before (undefined: nowhere). */
export interface TrafficSeed {
  /** A site's events since `since`, oldest first (absent: the windows start empty, incomplete). */
  visits?(site: string, since: number): Iterable<SeenVisit>;
  /** A site's pageviews today before `now`. */
  pageviewsToday(site: string, now: number): number;
}

/** Sessions a window keeps at most: a spike's count is right up to this. */
const MAX_KEYS = 200_000;
/** Sites without a rule whose last position is kept at most (those with rules always are). */
const MAX_UNWATCHED_SITES = 10_000;

interface SiteWindow {
  window: DistinctWindow;
  /** From when it saw everything: before, a drop cannot be told from not having watched. */
  completeSince: number;
}

/**
 * The traffic of the sites that have rules, as the rules read it: distinct sessions over each
 * window a rule asks for, the position of the site's last event (alert ids are built from it, the
 * same on every instance), and today's pageviews.
 */
export class SiteTraffic {
  private readonly windows = new Map<string, Map<number, SiteWindow>>();
  private readonly lastPositions = new Map<string, number>();
  private readonly pageviews = new Map<string, { day: string; count: number }>();

  constructor(private readonly seed?: TrafficSeed) {}

  /** Keeps exactly these windows (ms, by site) and counters, starting the new ones. */
  watch(
    windowsBySite: ReadonlyMap<string, ReadonlySet<number>>,
    pageviewSites: ReadonlySet<string>,
    now: number,
  ): void {
    for (const site of this.windows.keys()) {
      if (!windowsBySite.has(site)) this.windows.delete(site);
    }
    for (const [site, lengths] of windowsBySite) {
      let windows = this.windows.get(site);
      if (!windows) {
        windows = new Map();
        this.windows.set(site, windows);
      }
      for (const length of windows.keys()) if (!lengths.has(length)) windows.delete(length);
      for (const length of lengths) {
        if (!windows.has(length)) windows.set(length, this.startWindow(site, length, now));
      }
    }
    for (const site of this.pageviews.keys())
      if (!pageviewSites.has(site)) this.pageviews.delete(site);
    for (const site of pageviewSites) {
      if (!this.pageviews.has(site)) {
        this.pageviews.set(site, {
          day: utcDay(now),
          count: this.seed?.pageviewsToday(site, now) ?? 0,
        });
      }
    }
  }

  private startWindow(site: string, length: number, now: number): SiteWindow {
    const window = new DistinctWindow(length, MAX_KEYS);
    if (!this.seed?.visits) return { window, completeSince: now };
    for (const visit of this.seed.visits(site, now - length)) {
      window.touch(visit.sessionId, visit.receivedAt);
      this.notePosition(site, visit.position);
    }
    return { window, completeSince: now - length };
  }

  /**
   * Counts an event of a site with rules; whether it was one. Every site's last position is noted
   * (up to a bound): a rule that starts watching later, on one instance of a cluster sooner than on
   * another, then builds the same alert ids on both.
   */
  record(event: VisitorEvent, position: number, now: number): boolean {
    const windows = this.windows.get(event.site);
    const pageviews = this.pageviews.get(event.site);
    if (
      windows ||
      pageviews ||
      this.lastPositions.has(event.site) ||
      this.lastPositions.size < MAX_UNWATCHED_SITES
    )
      this.notePosition(event.site, position);
    if (!windows && !pageviews) return false;
    if (windows && event.type !== "session_end") {
      for (const { window } of windows.values()) window.touch(event.session_id, now);
    }
    if (pageviews && event.type === "pageview") {
      const day = utcDay(now);
      if (pageviews.day !== day) {
        pageviews.day = day;
        pageviews.count = 0;
      }
      pageviews.count++;
    }
    return true;
  }

  /** Distinct sessions of `site` within the last `length` ms; undefined before it saw a whole window. */
  visitors(site: string, length: number, now: number): number | undefined {
    const watched = this.windows.get(site)?.get(length);
    if (!watched || now - watched.completeSince < length) return undefined;
    return watched.window.count(now);
  }

  /** As `visitors`, whether or not the window is whole yet (a spike needs no history). */
  visitorsSoFar(site: string, length: number, now: number): number {
    return this.windows.get(site)?.get(length)?.window.count(now) ?? 0;
  }

  pageviewsToday(site: string, now: number): number {
    const pageviews = this.pageviews.get(site);
    return pageviews && pageviews.day === utcDay(now) ? pageviews.count : 0;
  }

  lastPosition(site: string): number {
    return this.lastPositions.get(site) ?? 0;
  }

  /** Forgets who left the windows (on ticks). */
  prune(now: number): void {
    for (const windows of this.windows.values()) {
      for (const { window } of windows.values()) window.prune(now);
    }
  }

  private notePosition(site: string, position: number): void {
    if (position > (this.lastPositions.get(site) ?? 0)) this.lastPositions.set(site, position);
  }
}
