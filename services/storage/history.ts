import type { Database } from "bun:sqlite";
import { utcDay } from "../clock.ts";

export const DAY_MS = 86_400_000;
export const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS } as const;
export type Interval = keyof typeof INTERVAL_MS;
export type RollupDimension = "page" | "country" | "device" | "referrer";
/** `page_country` (page and country together) answers the time series filtered by both. */
const ROLLUP_DIMENSIONS = [
  "page",
  "country",
  "device",
  "referrer",
  "page_country",
  "total",
] as const;

const DIMENSION_COLUMN: Record<(typeof ROLLUP_DIMENSIONS)[number], string> = {
  page: "page",
  country: "country",
  device: "device",
  referrer: "COALESCE(referrer, '(none)')",
  page_country: "page || char(0) || country",
  total: "''",
};

/** A history question the stored data cannot answer exactly (the caller's request is at fault). */
export class HistoryQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HistoryQueryError";
  }
}

export interface HistoryFilter {
  site?: string;
  country?: string;
  page?: string;
}

export interface TimeseriesPoint {
  t: string;
  pageviews: number;
  visitors: number;
}

/**
 * Questions about the past: time series from raw events (from roll-ups for whole days that
 * retention has already removed) and rankings from daily roll-ups (from raw events for days not
 * rolled up yet, today included).
 */
export class History {
  constructor(
    private db: Database,
    private readonly retentionMs: number,
  ) {}

  /** Uses `db` from now on (storage reopened a database file that was removed under it). */
  attach(db: Database): void {
    this.db = db;
  }

  /** Writes the roll-ups of one UTC day (idempotent: rerunning replaces them). */
  rollUp(day: string): void {
    const start = Date.parse(`${day}T00:00:00Z`);
    this.db.transaction(() => {
      for (const dimension of ROLLUP_DIMENSIONS) {
        this.db
          .query(
            `INSERT OR REPLACE INTO daily_rollups (day, site, dimension, key, pageviews, visitors)
             SELECT ?, site, ?, ${DIMENSION_COLUMN[dimension]}, COUNT(*), COUNT(DISTINCT session_id)
             FROM events WHERE type = 'pageview' AND received_at >= ? AND received_at < ?
             GROUP BY site, ${DIMENSION_COLUMN[dimension]}`,
          )
          .run(day, dimension, start, start + DAY_MS);
      }
    })();
  }

  /** Rolls up every whole day since the last one rolled up, up to yesterday. */
  rollUpCompletedDays(now: number): string[] {
    const today = utcDay(now);
    const last = this.db
      .query("SELECT MAX(day) AS day FROM daily_rollups WHERE dimension = 'total'")
      .get() as { day: string | null };
    let from: number;
    if (last.day) {
      from = Date.parse(`${last.day}T00:00:00Z`) + DAY_MS;
    } else {
      const first = this.db.query("SELECT MIN(received_at) AS at FROM events").get() as {
        at: number | null;
      };
      if (first.at === null) return [];
      from = Date.parse(`${utcDay(first.at)}T00:00:00Z`);
    }
    const rolled: string[] = [];
    for (let at = from; utcDay(at) < today; at += DAY_MS) {
      this.rollUp(utcDay(at));
      rolled.push(utcDay(at));
    }
    return rolled;
  }

  private hasRollup(day: string, dimension: string): boolean {
    return (
      this.db
        .query("SELECT 1 FROM daily_rollups WHERE day = ? AND dimension = ? LIMIT 1")
        .get(day, dimension) !== null
    );
  }

  isRolledUp(day: string): boolean {
    return (
      this.db
        .query("SELECT 1 FROM daily_rollups WHERE day = ? AND dimension = 'total' LIMIT 1")
        .get(day) !== null
    );
  }

  timeseries(
    from: number,
    to: number,
    interval: Interval,
    filter: HistoryFilter,
    now: number,
  ): TimeseriesPoint[] {
    const bucket = INTERVAL_MS[interval];
    const slots = Math.max(0, Math.ceil((to - from) / bucket));
    const points: TimeseriesPoint[] = Array.from({ length: slots }, (_, index) => ({
      t: new Date(from + index * bucket).toISOString(),
      pageviews: 0,
      visitors: 0,
    }));
    let rawFrom = from;
    if (interval === "day") {
      // Whole days that retention has removed are answered from their roll-ups.
      const cutoff = now - this.retentionMs;
      for (let index = 0; index < slots && from + (index + 1) * bucket <= cutoff; index++) {
        const point = points[index] as TimeseriesPoint;
        Object.assign(point, this.dayFromRollups(utcDay(from + index * bucket), filter));
        rawFrom = from + (index + 1) * bucket;
      }
    }
    const conditions = ["type = 'pageview'", "received_at >= $rawFrom", "received_at < $to"];
    const params: Record<string, string | number> = { from, bucket, rawFrom, to };
    for (const key of ["site", "country", "page"] as const) {
      const value = filter[key];
      if (value === undefined) continue;
      conditions.push(`${key} = $${key}`);
      params[key] = value;
    }
    const rows = this.db
      .query(
        `SELECT (received_at - $from) / $bucket AS slot, COUNT(*) AS pageviews,
           COUNT(DISTINCT session_id) AS visitors
         FROM events WHERE ${conditions.join(" AND ")} GROUP BY slot`,
      )
      .all(params) as { slot: number; pageviews: number; visitors: number }[];
    for (const row of rows) {
      const point = points[Math.floor(row.slot)];
      if (point) {
        point.pageviews = row.pageviews;
        point.visitors = row.visitors;
      }
    }
    return points;
  }

  /** Ranked counts over whole UTC days, from roll-ups where they exist and raw events otherwise. */
  top(
    fromDay: string,
    toDay: string,
    dimension: RollupDimension,
    limit: number,
    site: string | undefined,
  ): { key: string; pageviews: number; visitors: number }[] {
    const totals = new Map<string, { pageviews: number; visitors: number }>();
    const add = (key: string, pageviews: number, visitors: number) => {
      const entry = totals.get(key) ?? { pageviews: 0, visitors: 0 };
      entry.pageviews += pageviews;
      entry.visitors += visitors;
      totals.set(key, entry);
    };
    for (let at = Date.parse(`${fromDay}T00:00:00Z`); utcDay(at) <= toDay; at += DAY_MS) {
      const day = utcDay(at);
      const rows = this.isRolledUp(day)
        ? this.db
            .query(
              `SELECT key, SUM(pageviews) AS pageviews, SUM(visitors) AS visitors FROM daily_rollups
               WHERE day = ?1 AND dimension = ?2 AND (?3 IS NULL OR site = ?3) GROUP BY key`,
            )
            .all(day, dimension, site ?? null)
        : this.db
            .query(
              `SELECT ${DIMENSION_COLUMN[dimension]} AS key, COUNT(*) AS pageviews, COUNT(DISTINCT session_id) AS visitors
               FROM events WHERE type = 'pageview' AND received_at >= ?1 AND received_at < ?2 AND (?3 IS NULL OR site = ?3)
               GROUP BY key`,
            )
            .all(at, at + DAY_MS, site ?? null);
      for (const row of rows as { key: string; pageviews: number; visitors: number }[]) {
        add(row.key, row.pageviews, row.visitors);
      }
    }
    return [...totals]
      .map(([key, counts]) => ({ key, ...counts }))
      .sort((a, b) => b.pageviews - a.pageviews || a.key.localeCompare(b.key))
      .slice(0, limit);
  }

  private dayFromRollups(
    day: string,
    filter: HistoryFilter,
  ): { pageviews: number; visitors: number } {
    const [dimension, key] =
      filter.page !== undefined && filter.country !== undefined
        ? ["page_country", `${filter.page}\0${filter.country}`]
        : filter.page !== undefined
          ? ["page", filter.page]
          : filter.country !== undefined
            ? ["country", filter.country]
            : ["total", ""];
    if (
      dimension === "page_country" &&
      !this.hasRollup(day, "page_country") &&
      this.isRolledUp(day)
    ) {
      // Rolled up before page-and-country roll-ups existed (schema < 3), its raw events gone.
      throw new HistoryQueryError(
        `${day} was rolled up without page-and-country figures and its raw events are past retention: filter by page or by country, not both, for that day`,
      );
    }
    const row = this.db
      .query(
        `SELECT COALESCE(SUM(pageviews), 0) AS pageviews, COALESCE(SUM(visitors), 0) AS visitors
         FROM daily_rollups WHERE day = ?1 AND dimension = ?2 AND key = ?3 AND (?4 IS NULL OR site = ?4)`,
      )
      .get(day, dimension, key, filter.site ?? null) as { pageviews: number; visitors: number };
    return row;
  }
}
