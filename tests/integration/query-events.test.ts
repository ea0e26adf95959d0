import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { StatsQueryInput } from "../../schemas/stats-query.ts";
import { AnalyticsQuery } from "../../services/analytics-query/analytics-query.ts";
import { ManualClock } from "../../services/clock.ts";
import { DATABASE_FILE } from "../../services/storage/database.ts";
import { SqliteHistoryDatabase } from "../../services/storage/history-database.ts";
import { migrate } from "../../services/storage/migrations.ts";
import { pageview, startTestServer, type TestServer, temporaryDataDir } from "../support/server.ts";

// The query endpoint reads `query_events`, a copy of the log made off the ingest path: an event
// acknowledged a moment ago is in its answers, an upgraded database keeps every event queryable,
// retention removes from both tables.

const NOON = Date.UTC(2026, 4, 12, 12);
const SITE = "shop.test";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(server: TestServer): TestServer {
  cleanups.push(() => server.stop());
  return server;
}

async function query(server: TestServer, body: StatsQueryInput) {
  const response = await server.request("/api/analytics/query", {
    method: "POST",
    auth: true,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: unknown[] }).results;
}

/** Questions about events (a page, a name, a page filter): answered from the events alone. */
const QUESTIONS: StatsQueryInput[] = [
  { site: SITE, date_range: "day", metrics: ["visitors", "pageviews"], dimensions: ["page"] },
  { site: SITE, date_range: "day", metrics: ["visitors", "events"], dimensions: ["event_name"] },
  { site: SITE, date_range: "day", metrics: ["pageviews"], dimensions: ["time:hour", "page"] },
  {
    site: SITE,
    date_range: "day",
    metrics: ["visitors", "pageviews"],
    filters: [["contains", "page", ["pric"]]],
  },
];

const count = (db: Database, table: string) =>
  (db.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("the query endpoint's table of events", () => {
  test("events just acknowledged are in the next answer's figures", async () => {
    const clock = new ManualClock(NOON);
    const server = track(startTestServer({}, { clock }));
    const on = { site: SITE };
    const posted = await server.postEvent([
      pageview("s1", "/", on),
      pageview("s1", "/pricing", on),
      pageview("s2", "/", { ...on, user_id: "u2" }),
      { type: "custom", name: "Signup", page: "/pricing", session_id: "s1", ...on },
      pageview("elsewhere", "/", { site: "other.test" }),
    ]);
    expect(posted.status).toBe(201);
    expect(await query(server, QUESTIONS[0] as StatsQueryInput)).toEqual([
      { dimensions: ["/"], metrics: [2, 2] },
      { dimensions: ["/pricing"], metrics: [1, 1] },
    ]);
    expect(await query(server, QUESTIONS[1] as StatsQueryInput)).toEqual([
      { dimensions: ["Signup"], metrics: [1, 1] },
    ]);
    expect(await query(server, QUESTIONS[3] as StatsQueryInput)).toEqual([
      { dimensions: [], metrics: [1, 1] },
    ]);
  });

  test("a stored event pays for the time index alone; the query's index is on its own table", () => {
    const db = new Database(":memory:");
    migrate(db);
    const indexes = (table: string) =>
      (db.query(`PRAGMA index_list(${table})`).all() as { name: string }[])
        .map((index) => index.name)
        .sort();
    expect(indexes("events")).toEqual(["events_received_at"]);
    expect(indexes("query_events")).toEqual(["query_events_site_received_at"]);
    db.close();
  });

  test("a database of the previous version migrates with every event queryable, answers unchanged", async () => {
    const dir = temporaryDataDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = new Database(join(dir, DATABASE_FILE), { strict: true });
    db.run("PRAGMA journal_mode = WAL");
    migrate(db, 9);
    const insert = db.query(
      `INSERT INTO events (received_at, type, name, site, page, session_id, user_id, visitor_id,
         country, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'US', 'desktop')`,
    );
    for (let n = 0; n < 300; n++) {
      const custom = n % 10 === 9;
      insert.run(
        NOON - 3 * 3_600_000 + n * 30_000,
        custom ? "custom" : "pageview",
        custom ? "Signup" : null,
        n % 3 === 0 ? "other.test" : SITE,
        `/p/${n % 7}${n % 2 ? "/pricing" : ""}`,
        `s${n % 40}`,
        n % 5 === 0 ? `u${n % 4}` : null,
        n % 4 === 0 ? null : `v${n % 30}`,
      );
    }
    // What the previous version answered: the same module reading `events` itself.
    const previous = new SqliteHistoryDatabase(() => db) as { queryEvents?: string };
    Object.defineProperty(previous, "queryEvents", { value: "events" });
    const before = new AnalyticsQuery(
      previous as SqliteHistoryDatabase,
      new ManualClock(NOON + 60_000),
    );
    const answers = [];
    for (const question of QUESTIONS) answers.push((await before.query(question)).results);
    expect((answers[0] as unknown[]).length).toBe(14);
    db.close();

    const server = track(
      startTestServer({ DATA_DIR: dir }, { clock: new ManualClock(NOON + 60_000) }),
    );
    const upgraded = server.services.database.db;
    expect(count(upgraded, "query_events")).toBe(300);
    for (const [index, question] of QUESTIONS.entries())
      expect(await query(server, question)).toEqual(answers[index] as unknown[]);
  });

  test("retention deletes old events from the log and from the query's table alike", async () => {
    const clock = new ManualClock(NOON);
    const server = track(startTestServer({ RETENTION_DAYS: "1" }, { clock }));
    expect((await server.postEvent(pageview("old", "/old", { site: SITE }))).status).toBe(201);
    clock.advance(2 * 86_400_000);
    expect((await server.postEvent(pageview("new", "/new", { site: SITE }))).status).toBe(201);
    await server.services.catchUpReads();
    const db = server.services.database.db;
    expect(count(db, "query_events")).toBe(2);
    server.services.saveSnapshot();
    expect(server.services.database.cleanup(clock.now()).deletedEvents).toBe(1);
    const ids = (table: string) => db.query(`SELECT id, page FROM ${table} ORDER BY id`).all();
    expect(ids("query_events")).toEqual(ids("events"));
    expect(count(db, "query_events")).toBe(1);
  });
});
