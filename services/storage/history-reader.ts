import { utcDay } from "../clock.ts";
import { fromRow, type LoggedEvent } from "./event-log.ts";
import type { HistoryDatabase, SqlValue } from "./history-database.ts";

export const DAY_MS = 86_400_000;
export const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS } as const;
export type Interval = keyof typeof INTERVAL_MS;
export type RollupDimension = "page" | "country" | "device" | "referrer";

/** A ranking's key on a raw event (the roll-ups store the same). */
const RANKING_COLUMN: Record<RollupDimension, string> = {
  page: "page",
  country: "country",
  device: "device",
  referrer: "COALESCE(referrer, '(none)')",
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

export interface RankedKey {
  key: string;
  pageviews: number;
  visitors: number;
}

const COUNTS = ["pageviews", "visitors"];

/**
 * Questions about the past, through the async seam (SQLite or Postgres): time series from raw
 * events (from roll-ups for whole days that retention has already removed), rankings from daily
 * roll-ups (from raw events for days not rolled up yet, today included), and the raw events
 * themselves for the export. With no retention (`retentionMs` Infinity, Postgres keeps every
 * event) the roll-ups are never needed and `daily_rollups` is not read.
 */
export class HistoryReader {
  constructor(
    readonly database: HistoryDatabase,
    private readonly retentionMs: number,
  ) {}

  private get rollups(): boolean {
    return Number.isFinite(this.retentionMs);
  }

  async isRolledUp(day: string): Promise<boolean> {
    if (!this.rollups) return false;
    const row = await this.database.get(
      "SELECT 1 AS found FROM daily_rollups WHERE day = ?1 AND dimension = 'total' LIMIT 1",
      [day],
    );
    return row !== undefined;
  }

  async timeseries(
    from: number,
    to: number,
    interval: Interval,
    filter: HistoryFilter,
    now: number,
  ): Promise<TimeseriesPoint[]> {
    const bucket = INTERVAL_MS[interval];
    const slots = Math.max(0, Math.ceil((to - from) / bucket));
    const points: TimeseriesPoint[] = Array.from({ length: slots }, (_, index) => ({
      t: new Date(from + index * bucket).toISOString(),
      pageviews: 0,
      visitors: 0,
    }));
    let rawFrom = from;
    if (interval === "day" && this.rollups) {
      // Whole days that retention has removed are answered from their roll-ups.
      const cutoff = now - this.retentionMs;
      for (let index = 0; index < slots && from + (index + 1) * bucket <= cutoff; index++) {
        const point = points[index] as TimeseriesPoint;
        Object.assign(point, await this.dayFromRollups(utcDay(from + index * bucket), filter));
        rawFrom = from + (index + 1) * bucket;
      }
    }
    const params: SqlValue[] = [from, bucket, rawFrom, to];
    const conditions = ["type = 'pageview'", "received_at >= ?3", "received_at < ?4"];
    for (const key of ["site", "country", "page"] as const) {
      const value = filter[key];
      if (value === undefined) continue;
      params.push(value);
      conditions.push(`${key} = ?${params.length}`);
    }
    const bySite = this.database.queryEvents;
    if (filter.site !== undefined && bySite !== undefined) {
      // The events table has no site index (migration 10): the site's events of the range are
      // found on the query endpoint's copy, and those not copied yet past its last one.
      conditions.push(`id IN (SELECT id FROM ${bySite} WHERE site = ?5 AND received_at >= ?3
        AND received_at < ?4 AND type = 'pageview'
        UNION ALL SELECT id FROM events WHERE id > (SELECT COALESCE(MAX(id), 0) FROM ${bySite}))`);
    }
    const rows = await this.database.all<{ slot: number } & Omit<TimeseriesPoint, "t">>(
      `SELECT (received_at - ?1) / ?2 AS slot, COUNT(*) AS pageviews,
         COUNT(DISTINCT session_id) AS visitors
       FROM events WHERE ${conditions.join(" AND ")} GROUP BY slot`,
      params,
      ["slot", ...COUNTS],
    );
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
  async top(
    fromDay: string,
    toDay: string,
    dimension: RollupDimension,
    limit: number,
    site: string | undefined,
  ): Promise<RankedKey[]> {
    const totals = new Map<string, { pageviews: number; visitors: number }>();
    // Postgres cannot type a parameter only tested for NULL: the site's condition is left out instead.
    const bySite = site === undefined ? "" : " AND site = ?3";
    for (let at = Date.parse(`${fromDay}T00:00:00Z`); utcDay(at) <= toDay; at += DAY_MS) {
      const day = utcDay(at);
      const rows = (await this.isRolledUp(day))
        ? await this.database.all<RankedKey>(
            `SELECT key, SUM(pageviews) AS pageviews, SUM(visitors) AS visitors FROM daily_rollups
             WHERE day = ?1 AND dimension = ?2${bySite} GROUP BY key`,
            site === undefined ? [day, dimension] : [day, dimension, site],
            COUNTS,
          )
        : await this.database.all<RankedKey>(
            `SELECT ${RANKING_COLUMN[dimension]} AS key, COUNT(*) AS pageviews, COUNT(DISTINCT session_id) AS visitors
             FROM events WHERE type = 'pageview' AND received_at >= ?1 AND received_at < ?2${bySite}
             GROUP BY ${RANKING_COLUMN[dimension]}`,
            site === undefined ? [at, at + DAY_MS] : [at, at + DAY_MS, site],
            COUNTS,
          );
      for (const row of rows) {
        const entry = totals.get(row.key) ?? { pageviews: 0, visitors: 0 };
        entry.pageviews += row.pageviews;
        entry.visitors += row.visitors;
        totals.set(row.key, entry);
      }
    }
    return [...totals]
      .map(([key, counts]) => ({ key, ...counts }))
      .sort((a, b) => b.pageviews - a.pageviews || a.key.localeCompare(b.key))
      .slice(0, limit);
  }

  /**
   * The raw events received in [from, to) (of one site), in log order, a page at a time: the
   * range's first and last ids bound a walk of the primary key, never a sort of the range.
   */
  async *events(
    from: number,
    to: number,
    site: string | undefined,
    pageSize = 1000,
  ): AsyncGenerator<LoggedEvent> {
    const bounds = await this.database.get<{ first: number | null; last: number | null }>(
      "SELECT MIN(id) AS first, MAX(id) AS last FROM events WHERE received_at >= ?1 AND received_at < ?2",
      [from, to],
      ["first", "last"],
    );
    if (!bounds || bounds.first === null || bounds.last === null) return;
    // `+received_at` and `site || ''` (valid on both): SQLite then walks the primary key rather
    // than sort a page out of an index of time or site.
    const sql = `SELECT * FROM events WHERE id > ?1 AND id <= ?2 AND +received_at >= ?3
      AND +received_at < ?4${site === undefined ? "" : " AND site || '' = ?6"} ORDER BY id LIMIT ?5`;
    let cursor = bounds.first - 1;
    while (true) {
      const params: SqlValue[] = [cursor, bounds.last, from, to, pageSize];
      if (site !== undefined) params.push(site);
      const rows = await this.database.all<Parameters<typeof fromRow>[0]>(sql, params, [
        "id",
        "received_at",
      ]);
      for (const row of rows) yield fromRow(row);
      if (rows.length < pageSize) return;
      cursor = (rows[rows.length - 1] as { id: number }).id;
    }
  }

  private async dayFromRollups(
    day: string,
    filter: HistoryFilter,
  ): Promise<{ pageviews: number; visitors: number }> {
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
      !(await this.hasRollup(day, "page_country")) &&
      (await this.isRolledUp(day))
    ) {
      // Rolled up before page-and-country roll-ups existed (schema < 3), its raw events gone.
      throw new HistoryQueryError(
        `${day} was rolled up without page-and-country figures and its raw events are past retention: filter by page or by country, not both, for that day`,
      );
    }
    const params: SqlValue[] = [day, dimension, key];
    if (filter.site !== undefined) params.push(filter.site);
    const row = await this.database.get<{ pageviews: number; visitors: number }>(
      `SELECT COALESCE(SUM(pageviews), 0) AS pageviews, COALESCE(SUM(visitors), 0) AS visitors
       FROM daily_rollups WHERE day = ?1 AND dimension = ?2 AND key = ?3${filter.site === undefined ? "" : " AND site = ?4"}`,
      params,
      COUNTS,
    );
    return row ?? { pageviews: 0, visitors: 0 };
  }

  private async hasRollup(day: string, dimension: string): Promise<boolean> {
    const row = await this.database.get(
      "SELECT 1 AS found FROM daily_rollups WHERE day = ?1 AND dimension = ?2 LIMIT 1",
      [day, dimension],
    );
    return row !== undefined;
  }
}
