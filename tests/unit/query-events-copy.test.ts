import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { SqliteHistoryDatabase } from "../../services/storage/history-database.ts";
import { HistoryReader } from "../../services/storage/history-reader.ts";
import { migrate } from "../../services/storage/migrations.ts";
import { COPY_SLICE, QueryEventsCopy } from "../../services/storage/query-events.ts";

const BACKLOG = 2 * COPY_SLICE + 500;

function logWith(count: number, db = new Database(":memory:", { strict: true })) {
  migrate(db);
  db.query(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO events (received_at, type, site, page, session_id, country, device, visitor_id)
     SELECT 1000 + i, 'pageview', 'a.test', '/p' || (i % 7), 's' || i, 'US', 'desktop', 'v' || (i % 50)
     FROM n`,
  ).run(count);
  return db;
}

const count = (db: Database, table: string) =>
  (db.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("the query endpoint's copy of the events", () => {
  test("the timer's copy takes a backlog a slice a turn, every event once", async () => {
    const db = logWith(BACKLOG);
    const copy = new QueryEventsCopy(() => db);
    expect(copy.backlog).toBe(BACKLOG);
    const copying = copy.copyInSlices();
    // The first slice is copied at once; the rest wait for later turns of the event loop.
    expect(count(db, "query_events")).toBe(COPY_SLICE);
    await copying;
    expect(count(db, "query_events")).toBe(BACKLOG);
    expect(copy.backlog).toBe(0);
    const different = db
      .query(
        `SELECT COUNT(*) AS n FROM events e LEFT JOIN query_events q ON q.id = e.id
         WHERE q.id IS NULL OR q.site <> e.site OR q.received_at <> e.received_at
           OR q.page <> e.page OR q.session_id <> e.session_id OR q.visitor_id <> e.visitor_id`,
      )
      .get() as { n: number };
    expect(different.n).toBe(0);
  });

  test("a read's copy takes everything at once", () => {
    const db = logWith(BACKLOG);
    expect(new QueryEventsCopy(() => db).copy()).toBe(BACKLOG);
    expect(count(db, "query_events")).toBe(BACKLOG);
  });

  test("copies only what was logged after the table's last event", () => {
    const db = logWith(10);
    const copy = new QueryEventsCopy(() => db);
    expect(copy.copy(4)).toBe(4);
    expect(copy.copy()).toBe(6);
    expect(copy.copy()).toBe(0);
    logWith(3, db);
    expect(copy.backlog).toBe(3);
    expect(copy.copy()).toBe(3);
    expect(count(db, "query_events")).toBe(13);
  });

  test("a site's history counts its events copied and those not copied yet alike", async () => {
    // Events 1..70 at received_at 1001..1070, on sites a.test (i % 7 != 0) and b.test.
    const db = logWith(70);
    db.run("UPDATE events SET site = 'b.test' WHERE id % 7 = 0");
    const reader = new HistoryReader(new SqliteHistoryDatabase(() => db), Infinity);
    const pageviews = async (site: string) =>
      (await reader.timeseries(1000, 1100, "minute", { site }, 2000))
        .map((point) => point.pageviews)
        .reduce((sum, n) => sum + n, 0);
    for (const copied of [0, 35, 70]) {
      new QueryEventsCopy(() => db).copy(copied - count(db, "query_events"));
      expect(count(db, "query_events")).toBe(copied);
      expect(await pageviews("a.test")).toBe(60);
      expect(await pageviews("b.test")).toBe(10);
    }
  });
});
