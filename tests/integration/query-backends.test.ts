import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { StatsQueryInput } from "../../schemas/stats-query.ts";
import { AnalyticsQuery } from "../../services/analytics-query/analytics-query.ts";
import { ManualClock } from "../../services/clock.ts";
import { PostgresEventProps } from "../../services/cluster/postgres-event-props.ts";
import { PostgresHistory } from "../../services/cluster/postgres-history.ts";
import { archiveEvents, eventRow } from "../../services/cluster/postgres-schema.ts";
import type { CommittedEvent } from "../../services/pipeline/event-log.ts";
import { findEndedSession } from "../../services/storage/archived-sessions.ts";
import { EventProps } from "../../services/storage/event-props.ts";
import { DAY_MS, History } from "../../services/storage/history.ts";
import { SqliteHistoryDatabase } from "../../services/storage/history-database.ts";
import { migrate } from "../../services/storage/migrations.ts";
import { QueryEventsCopy } from "../../services/storage/query-events.ts";
import { SessionArchive, type VisitRecord } from "../../services/storage/session-archive.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";

// One scripted set of visits and events, written into SQLite and into a real Postgres: every
// question must get the same answer from both, and the hand-counted one.

const D15 = Date.UTC(2026, 2, 15);
const D14 = D15 - DAY_MS;
const NOW = D15 + 12 * 3_600_000;
const MIN = 60_000;
const CAP = 3;

interface Step {
  at: number;
  type: "pageview" | "custom";
  page: string;
  name?: string;
  metadata?: Record<string, string>;
}
interface VisitSpec {
  session: string;
  visitor: string;
  site: string;
  start: number;
  country: string;
  device: string;
  browser: string;
  source?: string;
  utm_campaign?: string;
  reason: string;
  steps: Step[];
}

const visits: VisitSpec[] = [
  {
    session: "s1",
    visitor: "v1",
    site: "a.com",
    start: D15 + 10 * 3_600_000,
    country: "US",
    device: "desktop",
    browser: "Chrome",
    source: "Google",
    utm_campaign: "2026",
    reason: "timeout",
    steps: [
      { at: 0, type: "pageview", page: "/" },
      { at: 2 * MIN, type: "pageview", page: "/pricing" },
      { at: 3 * MIN, type: "custom", page: "/pricing", name: "Signup", metadata: { plan: "pro" } },
    ],
  },
  {
    session: "s2",
    visitor: "v2",
    site: "a.com",
    start: D15 + 11 * 3_600_000,
    country: "GB",
    device: "mobile",
    browser: "Safari",
    reason: "active",
    steps: [
      { at: 0, type: "pageview", page: "/Thank-You/now" },
      ...[1, 2, 3, 4, 5].map((n) => ({
        at: n * MIN,
        type: "custom" as const,
        page: "/Thank-You/now",
        name: "Click",
        metadata: { btn: `b${n}` },
      })),
    ],
  },
  {
    session: "s3",
    visitor: "v1",
    site: "a.com",
    start: D14 + 9 * 3_600_000,
    country: "US",
    device: "desktop",
    browser: "Chrome",
    source: "Twitter",
    reason: "ended",
    steps: [
      { at: 0, type: "pageview", page: "/blog/100%_off" },
      {
        at: MIN,
        type: "custom",
        page: "/blog/100%_off",
        name: "Signup",
        metadata: { plan: "free" },
      },
      { at: 2 * MIN, type: "custom", page: "/blog/100%_off", name: "Download", metadata: {} },
    ],
  },
  {
    session: "s4",
    visitor: "v3",
    site: "a.com",
    start: Date.UTC(2026, 1, 20, 8),
    country: "DE",
    device: "mobile",
    browser: "Firefox",
    reason: "timeout",
    steps: [{ at: 0, type: "pageview", page: "/" }],
  },
  {
    session: "s5",
    visitor: "v4",
    site: "b.com",
    start: D15 + 9 * 3_600_000,
    country: "FR",
    device: "tablet",
    browser: "Chrome",
    reason: "ended",
    steps: [{ at: 0, type: "pageview", page: "/" }],
  },
];

function script(): { events: CommittedEvent[]; records: VisitRecord[] } {
  const events: CommittedEvent[] = [];
  const records: VisitRecord[] = [];
  for (const spec of visits) {
    for (const step of spec.steps) {
      const event: VisitorEvent = {
        type: step.type,
        page: step.page,
        session_id: spec.session,
        site: spec.site,
        country: spec.country,
        device: spec.device,
        metadata: step.metadata ?? {},
        timestamp: null,
        received_at: new Date(spec.start + step.at).toISOString(),
        browser: spec.browser,
        visitor_id: spec.visitor,
      };
      if (step.name) event.name = step.name;
      if (spec.source) event.source = spec.source;
      if (spec.utm_campaign) event.utm_campaign = spec.utm_campaign;
      events.push({ position: events.length + 1, event, receivedAt: spec.start + step.at });
    }
    const pages = spec.steps.filter((step) => step.type === "pageview").map((step) => step.page);
    const last = spec.start + (spec.steps.at(-1)?.at ?? 0);
    records.push({
      session_id: spec.session,
      started_at: spec.start,
      ended_at: last,
      end_reason: spec.reason,
      site: spec.site,
      country: spec.country,
      device: spec.device,
      entry_page: pages[0] ?? "/",
      exit_page: pages.at(-1) ?? "/",
      page_views: pages.length,
      journey: pages,
      journey_truncated: false,
      last_activity: last,
      visitor_key: spec.visitor,
      events: spec.steps.length,
      browser: spec.browser,
      ...(spec.source ? { source: spec.source } : {}),
      ...(spec.utm_campaign ? { utm_campaign: spec.utm_campaign } : {}),
    });
  }
  return { events, records };
}

function writeSqlite(db: Database, events: CommittedEvent[], records: VisitRecord[]) {
  const props = new EventProps(db, CAP);
  db.transaction(() => {
    for (const committed of events) {
      const { position: _, ...rest } = eventRow(committed);
      const row = { id: committed.position, ...rest };
      const columns = Object.keys(row);
      db.query(
        `INSERT INTO events (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      ).run(...(Object.values(row) as (string | number | null)[]));
      const { event, receivedAt } = committed;
      if (event.type === "custom" && event.name)
        props.write(committed.position, event.site, event.name, receivedAt, event.metadata);
    }
    new SessionArchive(() => db).writeVisits(records);
  })();
  // The query endpoint reads its own copy of the events, as the server's catch-up makes it.
  new QueryEventsCopy(() => db).copy();
}

const QUERIES: [string, StatsQueryInput][] = [
  ["visit metrics over 7 days", q({ date_range: "7d", metrics: ALL_VISIT_METRICS() })],
  ["visit metrics over all time", q({ date_range: "all", metrics: ["visitors", "visits"] })],
  ["by source", q({ dimensions: ["source"], metrics: ["visitors", "visits", "bounce_rate"] })],
  ["by country and device", q({ dimensions: ["country", "device"], metrics: ["visitors"] })],
  ["by entry and exit page", q({ dimensions: ["entry_page", "exit_page"], metrics: ["visits"] })],
  ["by campaign (a number as text)", q({ dimensions: ["utm_campaign"], metrics: ["visits"] })],
  [
    "by page",
    q({ dimensions: ["page"], metrics: ["visitors", "pageviews", "visits", "bounce_rate"] }),
  ],
  ["by event name", q({ dimensions: ["event_name"], metrics: ["visitors", "events"] })],
  ["country is US", q({ metrics: ["visitors", "visits"], filters: [["is", "country", ["US"]]] })],
  [
    "country is not US",
    q({ metrics: ["visitors", "visits"], filters: [["is_not", "country", ["US"]]] }),
  ],
  [
    "page contains BLOG (any case)",
    q({ metrics: ["visitors", "pageviews"], filters: [["contains", "page", ["BLOG"]]] }),
  ],
  [
    "page contains a literal % and _",
    q({ dimensions: ["page"], metrics: ["pageviews"], filters: [["contains", "page", ["0%_"]]] }),
  ],
  [
    "page does not contain blog",
    q({
      dimensions: ["page"],
      metrics: ["pageviews"],
      filters: [["contains_not", "page", ["blog"]]],
    }),
  ],
  ["by hour today", q({ date_range: "day", dimensions: ["time:hour"], metrics: ["visitors"] })],
  ["by day", q({ date_range: "7d", dimensions: ["time:day"], metrics: ["visits", "pageviews"] })],
  ["by month", q({ date_range: "12mo", dimensions: ["time:month"], metrics: ["visitors"] })],
  [
    "events by hour",
    q({ date_range: "day", dimensions: ["time:hour", "event_name"], metrics: ["events"] }),
  ],
  [
    "goals with a page goal of another case",
    q({ dimensions: ["goal"], metrics: ["visitors", "events", "conversion_rate"] }),
  ],
  [
    "a goal broken down by a property",
    q({
      dimensions: ["prop:plan"],
      metrics: ["visitors", "conversion_rate"],
      filters: [["is", "goal", ["Signup"]]],
    }),
  ],
  ["a property past its cap", q({ dimensions: ["prop:btn"], metrics: ["events"] })],
  [
    "compared with the previous period",
    q({
      date_range: "day",
      dimensions: ["source"],
      metrics: ["visitors"],
      compare: "previous_period",
    }),
  ],
  ["a page of a ranking", q({ dimensions: ["page"], metrics: ["pageviews"], limit: 2, offset: 1 })],
  [
    "ordered by a dimension",
    q({ dimensions: ["country"], metrics: ["visits"], order_by: [["country", "asc"]] }),
  ],
];

function ALL_VISIT_METRICS(): StatsQueryInput["metrics"] {
  return ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
}
function q(fields: Partial<StatsQueryInput>): StatsQueryInput {
  return { site: "a.com", date_range: "7d", ...fields } as StatsQueryInput;
}

describe.skipIf(!hasPostgres)("the query module on SQLite and on Postgres", () => {
  let postgres: PostgresProcess;
  let sql: SQL;
  let db: Database;
  let pg: PostgresHistory;
  let sqliteQuery: AnalyticsQuery;
  const clock = new ManualClock(NOW);

  beforeAll(async () => {
    postgres = await startPostgres();
    sql = new SQL(postgres.url);
    pg = new PostgresHistory(sql, { clock });
    await pg.migrate();
    db = new Database(":memory:", { strict: true });
    migrate(db);
    sqliteQuery = new AnalyticsQuery(new SqliteHistoryDatabase(() => db), clock);
    const { events, records } = script();
    writeSqlite(db, events, records);
    const props = new PostgresEventProps(CAP);
    await sql.begin(async (tx) => {
      const inserted = await archiveEvents(tx, events);
      await props.write(
        tx,
        events.filter((event) => inserted.has(event.position)),
      );
    });
    await pg.writeVisits(records);
    for (const query of [sqliteQuery, pg.analytics])
      await query.goals.add("a.com", "/thank-you*", NOW);
  });
  afterAll(async () => {
    db?.close();
    await sql?.close();
    await postgres?.dispose();
  });

  for (const [name, input] of QUERIES) {
    test(`the same answer on both: ${name}`, async () => {
      const onSqlite = await sqliteQuery.query(input);
      const onPostgres = await pg.analytics.query(input);
      expect(onPostgres).toEqual(onSqlite);
      expect(onSqlite.results.length).toBeGreaterThan(0);
    });
  }

  const answer = async (input: StatsQueryInput) => {
    const [onSqlite, onPostgres] = [
      await sqliteQuery.query(input),
      await pg.analytics.query(input),
    ];
    expect(onPostgres).toEqual(onSqlite);
    return Object.fromEntries(
      onSqlite.results.map((row) => [row.dimensions.join("|") || "total", row.metrics]),
    );
  };

  test("both give the hand-counted figures", async () => {
    expect(
      await answer(
        q({ date_range: "day", metrics: ["visitors", "visits", "pageviews", "bounce_rate"] }),
      ),
    ).toEqual({ total: [2, 2, 3, 50] });
    expect(await answer(q({ metrics: ["visitors", "visits", "pageviews"] }))).toEqual({
      total: [2, 3, 4],
    });
    expect(
      await answer(
        q({
          date_range: "day",
          dimensions: ["goal"],
          metrics: ["visitors", "events", "conversion_rate"],
        }),
      ),
    ).toEqual({
      Click: [1, 5, 50],
      Signup: [1, 1, 50],
      "Visit /thank-you*": [1, 1, 50],
    });
    expect(
      await answer(q({ date_range: "day", dimensions: ["prop:btn"], metrics: ["events"] })),
    ).toEqual({
      b1: [1],
      b2: [1],
      b3: [1],
      "(other)": [2],
      "(none)": [1], // the day's Signup has no btn
    });
    expect(
      await answer(q({ metrics: ["pageviews"], filters: [["contains", "page", ["0%_"]]] })),
    ).toEqual({ total: [1] });
    expect(await answer(q({ date_range: "all", metrics: ["visits"] }))).toEqual({ total: [4] });
    expect(await answer(q({ dimensions: ["utm_campaign"], metrics: ["visits"] }))).toEqual({
      "2026": [1],
      "(none)": [2],
    });
  });

  test("sites, goals and an ended session read the same on both", async () => {
    expect(await pg.analytics.sites()).toEqual(await sqliteQuery.sites());
    expect((await pg.analytics.sites()).map((site) => [site.site, site.visitors_today])).toEqual([
      ["a.com", 2],
      ["b.com", 1],
    ]);
    const goals = await pg.analytics.goals.list("a.com");
    expect(goals).toEqual(await sqliteQuery.goals.list("a.com"));
    expect(await pg.analytics.goals.add("a.com", "/thank-you*", NOW)).toEqual(goals[0] as never);
    const added = await pg.analytics.goals.add("a.com", "/x*", NOW);
    expect(await pg.analytics.goals.list(undefined)).toHaveLength(2);
    expect(await pg.analytics.goals.remove(added.id)).toBe(true);
    expect(await pg.analytics.goals.remove(added.id)).toBe(false);
    const flush = () => {};
    const onPostgres = await findEndedSession({ db: pg.database, flush }, "s1");
    expect(onPostgres).toEqual(
      await findEndedSession({ db: new SqliteHistoryDatabase(() => db), flush }, "s1"),
    );
    expect(onPostgres?.last_activity).toBe(D15 + 10 * 3_600_000 + 3 * MIN);
    expect(await findEndedSession({ db: pg.database, flush }, "s2")).toBeUndefined();
  });

  test("time series, rankings and the export read the same on both", async () => {
    const history = new History(db, 30 * DAY_MS);
    const series = async (from: number, to: number, interval: "hour" | "day", filter = {}) => {
      const onSqlite = await history.timeseries(from, to, interval, filter, NOW);
      expect(await pg.reader.timeseries(from, to, interval, filter, NOW)).toEqual(onSqlite);
      return onSqlite;
    };
    const hours = await series(D15, D15 + DAY_MS, "hour", { site: "a.com" });
    expect(hours.filter((point) => point.pageviews > 0).map((point) => point.t)).toEqual([
      "2026-03-15T10:00:00.000Z",
      "2026-03-15T11:00:00.000Z",
    ]);
    const days = await series(D15 - 29 * DAY_MS, D15 + DAY_MS, "day");
    expect(days.reduce((sum, point) => sum + point.pageviews, 0)).toBe(6);
    await series(D14, D15 + DAY_MS, "day", { country: "US", page: "/" });
    for (const dimension of ["page", "country", "device", "referrer"] as const) {
      const top = await history.top("2026-03-09", "2026-03-15", dimension, 10, undefined);
      expect(await pg.reader.top("2026-03-09", "2026-03-15", dimension, 10, undefined)).toEqual(
        top,
      );
    }
    expect(await pg.reader.top("2026-03-09", "2026-03-15", "page", 2, "a.com")).toEqual([
      { key: "/", pageviews: 1, visitors: 1 },
      { key: "/blog/100%_off", pageviews: 1, visitors: 1 },
    ]);
    const exported = async (reader: History["reads"], site?: string) => {
      const out = [];
      for await (const event of reader.events(D14, NOW, site, 4)) out.push(event);
      return out;
    };
    const all = await exported(history.reads);
    expect(await exported(pg.reader)).toEqual(all);
    expect(all.map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);
    expect(await exported(pg.reader, "b.com")).toEqual(await exported(history.reads, "b.com"));
  });
});
