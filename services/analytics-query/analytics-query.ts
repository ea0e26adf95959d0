import type { Database } from "bun:sqlite";
import type { Goal, Metric, StatsQueryInput } from "../../schemas/stats-query.ts";
import type { Clock } from "../clock.ts";
import { type HistoryDatabase, SqliteHistoryDatabase } from "../storage/history-database.ts";
import {
  type DayRange,
  isoRange,
  previousPeriod,
  resolveRange,
  type TimeBuckets,
  timeBuckets,
} from "./date-range.ts";
import { GoalStore } from "./goals.ts";
import { hasGoal, isTime, type Plan, readsEvents, toPlan } from "./plan.ts";
import { changeOf, type Group, keyOf, mergeRows, metricsOf, type Ranked, rank } from "./results.ts";
import { type PageGoal, QuerySql, type Statement } from "./sql.ts";

export { QueryRangeError } from "./date-range.ts";
export { QueryPlanError } from "./plan.ts";

const EVENT_METRICS: readonly Metric[] = ["visitors", "pageviews", "events", "conversion_rate"];
const VISIT_METRICS: readonly Metric[] = [
  "visits",
  "bounce_rate",
  "visit_duration",
  "views_per_visit",
];

export interface QueryAnswer {
  success: true;
  results: { dimensions: string[]; metrics: number[]; comparison?: Comparison }[];
  meta: { total_rows: number; time_labels?: string[]; warnings?: string[] };
  query: {
    site: string;
    metrics: string[];
    dimensions: string[];
    filters: [string, string, string[]][];
    date_range: [string, string];
    comparison_date_range?: [string, string];
  };
}

interface Comparison {
  metrics: number[];
  change: (number | null)[];
}

type Row = Record<string, string | number | null>;

export interface AnalyticsQueryOptions {
  /**
   * Brings the read tables up to the last event before every read: `sessions` (the live sessions'
   * flush) and, on SQLite, `query_events` (the copy of the log).
   */
  beforeRead?: () => void | Promise<void>;
  /** Raw events older than this are deleted (queries about events say so). */
  retentionDays?: number;
}

/**
 * The one query module: visitor metrics over any range (docs/analytics-query.md), the sites and
 * the goals. Visits are the `sessions` table (active sessions flushed into it before each read),
 * events the table the seam names (SQLite's `query_events`, copied from the log; Postgres's
 * archived `events`); every statement is portable SQL (sql.ts), run through the async seam
 * (storage/history-database.ts) on SQLite or Postgres alike.
 */
export class AnalyticsQuery {
  readonly goals: GoalStore;
  private readonly database: HistoryDatabase;
  /** Where the events are read: the seam names the table. */
  private readonly events: string;

  /** `database`: the seam, or (SQLite) a function answering the open connection. */
  constructor(
    database: HistoryDatabase | (() => Database),
    private readonly clock: Clock,
    private readonly options: AnalyticsQueryOptions = {},
  ) {
    this.database = typeof database === "function" ? new SqliteHistoryDatabase(database) : database;
    this.events = this.database.queryEvents ?? "events";
    this.goals = new GoalStore(this.database);
  }

  async query(input: StatsQueryInput): Promise<QueryAnswer> {
    const plan = toPlan(input);
    await this.options.beforeRead?.();
    const now = this.clock.now();
    let wantsFirst = false;
    let range = resolveRange(input, now, () => {
      wantsFirst = true;
      return undefined;
    });
    if (wantsFirst) {
      const first = await this.firstSeen(plan.site);
      range = resolveRange(input, now, () => first);
    }
    const timeDimension = plan.dimensions.find(isTime);
    const buckets = timeDimension ? timeBuckets(timeDimension, range) : undefined;
    const pageGoals = await this.pageGoals(plan.site);
    const ranked = await this.ranked(plan, range, pageGoals);
    const page = ranked.slice(plan.offset, plan.offset + plan.limit);
    const answer: QueryAnswer = {
      success: true,
      results: page.map(({ group, metrics }) => ({
        dimensions: labels(group.values, plan, buckets),
        metrics,
      })),
      meta: { total_rows: ranked.length },
      query: {
        site: plan.site,
        metrics: plan.metrics,
        dimensions: plan.dimensions,
        filters: plan.filters.map((f) => [f.op, f.dimension, f.values]),
        date_range: isoRange(range),
      },
    };
    const retained = this.clock.now() - (this.options.retentionDays ?? Infinity) * 86_400_000;
    if (readsEvents(plan) && range.from < retained)
      answer.meta.warnings = [
        `events before ${new Date(retained).toISOString()} are past RETENTION_DAYS (deleted): the figures about events cover only what came after`,
      ];
    if (buckets)
      answer.meta.time_labels = Array.from({ length: buckets.count }, (_, i) => buckets.label(i));
    if (plan.compare) {
      const previous = previousPeriod(range);
      answer.query.comparison_date_range = isoRange(previous);
      const before = new Map<string, number[]>();
      for (const row of await this.ranked(plan, previous, pageGoals))
        before.set(keyOf(row.group.values), row.metrics);
      answer.results.forEach((result, index) => {
        const group = (page[index] as Ranked).group;
        const metrics = before.get(keyOf(group.values)) ?? plan.metrics.map(() => 0);
        result.comparison = { metrics, change: changeOf(plan.metrics, result.metrics, metrics) };
      });
    }
    return answer;
  }

  /** The sites seen, busiest today first: today's visitors and pageviews, the last activity. */
  async sites(): Promise<
    {
      site: string;
      visitors_today: number;
      pageviews_today: number;
      last_seen: string | null;
    }[]
  > {
    await this.options.beforeRead?.();
    const db = this.database;
    const today = Math.floor(this.clock.now() / 86_400_000) * 86_400_000;
    const seen = await db.all<{ site: string; last_seen: number | null }>(
      "SELECT site, last_seen FROM sites",
      [],
      ["last_seen"],
    );
    const todays = new Map<string, { visitors: number; pageviews: number }>();
    const rows = await db.all<{ site: string; visitors: number; pageviews: number }>(
      `SELECT site, COUNT(DISTINCT visitor_key) AS visitors, SUM(page_views) AS pageviews
       FROM sessions WHERE started_at >= ?1 AND started_at < ?2 GROUP BY site`,
      [today, today + 86_400_000],
      ["visitors", "pageviews"],
    );
    for (const row of rows) todays.set(row.site, row);
    return seen
      .map(({ site, last_seen }) => ({
        site,
        visitors_today: todays.get(site)?.visitors ?? 0,
        pageviews_today: todays.get(site)?.pageviews ?? 0,
        last_seen: last_seen === null ? null : new Date(last_seen).toISOString(),
      }))
      .sort(
        (a, b) =>
          b.visitors_today - a.visitors_today ||
          b.pageviews_today - a.pageviews_today ||
          (a.site < b.site ? -1 : 1),
      );
  }

  listGoals(site: string | undefined): Promise<Goal[]> {
    return this.goals.list(site);
  }

  /** Every group of the range with its metrics, ranked. */
  private async ranked(plan: Plan, range: DayRange, pageGoals: PageGoal[]): Promise<Ranked[]> {
    const groups = await this.groups(plan, range, pageGoals);
    const rows = [...groups.values()].map((group) => ({
      group,
      metrics: metricsOf(plan.metrics, group.figures),
    }));
    const timeIndex = plan.dimensions.findIndex(isTime);
    const orderBy =
      plan.orderBy.length > 0
        ? plan.orderBy
        : timeIndex >= 0
          ? [[plan.dimensions[timeIndex] as string, "asc"] as [string, "asc"]]
          : [[plan.metrics[0] as string, "desc"] as [string, "desc"]];
    return rank(rows, orderBy, plan.metrics, plan.dimensions);
  }

  private async groups(
    plan: Plan,
    range: DayRange,
    pageGoals: PageGoal[],
  ): Promise<Map<string, Group>> {
    const groups = new Map<string, Group>();
    const dims = plan.dimensions.length;
    const eventQuery = readsEvents(plan);
    const wants = (metrics: readonly Metric[]) => plan.metrics.some((m) => metrics.includes(m));
    if (!eventQuery || wants(VISIT_METRICS)) {
      const statement = new QuerySql(this.events, plan, range, pageGoals).visitFigures(eventQuery);
      const rows = await this.all(statement, plan.dimensions);
      mergeRows(groups, rows, dims, (row, figures) => {
        figures.visits = num(row.visits);
        figures.bounces = num(row.bounces);
        figures.duration = num(row.duration);
        figures.sessionPageviews = num(row.pageviews);
        if (!eventQuery) {
          figures.visitors = num(row.visitors);
          figures.pageviews = num(row.pageviews);
          figures.events = num(row.events);
        }
      });
    }
    if (eventQuery && wants(EVENT_METRICS)) {
      const statement = new QuerySql(this.events, plan, range, pageGoals).eventFigures();
      const rows = await this.all(statement, plan.dimensions);
      mergeRows(groups, rows, dims, (row, figures) => {
        figures.visitors = num(row.visitors);
        figures.pageviews = num(row.pageviews);
        figures.events = num(row.events);
      });
    }
    if (plan.metrics.includes("conversion_rate") && hasGoal(plan))
      await this.addTotals(plan, range, groups);
    return groups;
  }

  /** conversion_rate's denominator: the group's visitors without the goal (and its properties). */
  private async addTotals(plan: Plan, range: DayRange, groups: Map<string, Group>): Promise<void> {
    const kept = plan.dimensions
      .map((dimension, index) => ({ dimension, index }))
      .filter(({ dimension }) => dimension !== "goal" && !dimension.startsWith("prop:"));
    const totalsPlan = {
      site: plan.site,
      dimensions: kept.map(({ dimension }) => dimension),
      filters: plan.filters.filter((f) => f.dimension !== "goal"),
    };
    // Read from the events, like the converting visitors it is compared with.
    const totals = new Map<string, number>();
    const statement = new QuerySql(this.events, totalsPlan, range, []).eventFigures();
    for (const row of await this.all(statement, totalsPlan.dimensions)) {
      const values = kept.map((_, i) => row[`d${i}`] ?? "(none)");
      totals.set(keyOf(values), num(row.visitors));
    }
    for (const group of groups.values()) {
      const values = kept.map(({ index }) => group.values[index] as string | number);
      group.figures.totalVisitors = totals.get(keyOf(values)) ?? 0;
    }
  }

  private async pageGoals(site: string): Promise<PageGoal[]> {
    const goals = await this.goals.list(site);
    return goals.map((goal) => ({ name: goal.display_name, path: goal.page_path }));
  }

  private async firstSeen(site: string): Promise<number | undefined> {
    const row = await this.database.get<{ first: number | null }>(
      "SELECT MIN(started_at) AS first FROM sessions WHERE site = ?1",
      [site],
      ["first"],
    );
    return row?.first ?? undefined;
  }

  /** The figures, and the time dimension's bucket index, as numbers on either database. */
  private all(statement: Statement, dimensions: readonly string[]): Promise<Row[]> {
    const numbers = [...FIGURES];
    dimensions.forEach((dimension, index) => {
      if (isTime(dimension)) numbers.push(`d${index}`);
    });
    return this.database.all<Row>(statement.sql, statement.params, numbers);
  }
}

const FIGURES = ["visitors", "visits", "pageviews", "events", "bounces", "duration"];

const num = (value: unknown) => (typeof value === "number" ? value : 0);

function labels(
  values: (string | number)[],
  plan: Plan,
  buckets: TimeBuckets | undefined,
): string[] {
  return values.map((value, index) =>
    isTime(plan.dimensions[index] as string) && buckets
      ? buckets.label(Number(value))
      : String(value),
  );
}
