import type { Database } from "bun:sqlite";
import { utcDay } from "../clock.ts";
import { SqliteHistoryDatabase } from "./history-database.ts";
import {
  DAY_MS,
  type HistoryFilter,
  HistoryReader,
  type Interval,
  type RankedKey,
  type RollupDimension,
  type TimeseriesPoint,
} from "./history-reader.ts";

export {
  DAY_MS,
  type HistoryFilter,
  HistoryQueryError,
  INTERVAL_MS,
  type Interval,
  type RollupDimension,
  type TimeseriesPoint,
} from "./history-reader.ts";

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

/**
 * The SQLite history: daily roll-ups written by retention (synchronous, in the store's file), and
 * the questions about the past answered by `reader` (history-reader.ts), over this database by
 * default or over Postgres in a cluster (`readFrom`).
 */
export class History {
  private reader: HistoryReader;

  constructor(
    private db: Database,
    retentionMs: number,
  ) {
    this.reader = new HistoryReader(new SqliteHistoryDatabase(() => this.db), retentionMs);
  }

  /** What answers the reads (time series, rankings, export, ended sessions). */
  get reads(): HistoryReader {
    return this.reader;
  }

  /** Answers the reads from `reader` from now on (cluster mode: PostgresHistory's). */
  readFrom(reader: HistoryReader): void {
    this.reader = reader;
  }

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
  ): Promise<TimeseriesPoint[]> {
    return this.reader.timeseries(from, to, interval, filter, now);
  }

  top(
    fromDay: string,
    toDay: string,
    dimension: RollupDimension,
    limit: number,
    site: string | undefined,
  ): Promise<RankedKey[]> {
    return this.reader.top(fromDay, toDay, dimension, limit, site);
  }
}
