import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { ManualClock } from "../../services/clock.ts";
import { Archiver } from "../../services/cluster/archiver.ts";
import { PostgresHistory } from "../../services/cluster/postgres-history.ts";
import { RedisEventLog } from "../../services/cluster/redis-event-log.ts";
import { toPostgresParameters } from "../../services/storage/history-database.ts";
import type { VisitRecord } from "../../services/storage/session-archive.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";

const NOON = Date.UTC(2026, 5, 1, 12);

function visit(fields: Partial<VisitRecord>): VisitRecord {
  return {
    session_id: "s1",
    started_at: NOON,
    ended_at: NOON,
    end_reason: "active",
    site: "example.com",
    country: "GB",
    device: "mobile",
    entry_page: "/",
    exit_page: "/",
    page_views: 1,
    journey: ["/"],
    journey_truncated: false,
    last_activity: NOON,
    visitor_key: "v1",
    events: 1,
    ...fields,
  };
}

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(20);
  }
}

test("numbered and plain parameters become Postgres's, string literals untouched", () => {
  expect(toPostgresParameters("a = ?1 AND b = ?12 AND c LIKE '?' ESCAPE '\\'")).toBe(
    "a = $1 AND b = $12 AND c LIKE '?' ESCAPE '\\'",
  );
  expect(toPostgresParameters("VALUES (?, ?, ?)")).toBe("VALUES ($1, $2, $3)");
});

describe.skipIf(!hasPostgres)("visits written by several instances into Postgres", () => {
  let postgres: PostgresProcess;
  let sql: SQL;
  let history: PostgresHistory;

  beforeAll(async () => {
    postgres = await startPostgres();
    sql = new SQL(postgres.url);
    history = new PostgresHistory(sql, { clock: new ManualClock(NOON) });
    expect(await history.migrate()).toContain(3);
  });
  afterAll(async () => {
    await sql?.close();
    await postgres?.dispose();
  });

  const stored = async (session: string) => {
    const [row] = await sql`SELECT end_reason, last_activity::float8 AS last_activity, page_views,
      exit_page, source, entry_page FROM sessions WHERE session_id = ${session}`;
    return row as Record<string, unknown>;
  };

  test("a row is only replaced by a later activity, or by the same one while it is active", async () => {
    await history.writeVisits([
      visit({ last_activity: NOON + 100, page_views: 2, source: "Google" }),
    ]);
    // An instance a moment behind: its older figures never overwrite the newer ones.
    await history.writeVisits([
      visit({ last_activity: NOON + 90, page_views: 1, exit_page: "/old" }),
    ]);
    expect(await stored("s1")).toMatchObject({
      last_activity: NOON + 100,
      page_views: 2,
      exit_page: "/",
    });
    // The end, at the same last activity, replaces the active row.
    await history.writeVisits([
      visit({ last_activity: NOON + 100, page_views: 2, end_reason: "timeout", exit_page: "/end" }),
    ]);
    expect(await stored("s1")).toMatchObject({ end_reason: "timeout", exit_page: "/end" });
    // Another instance's active row as of that same moment does not bring it back to life.
    await history.writeVisits([
      visit({ last_activity: NOON + 100, page_views: 2, end_reason: "active" }),
    ]);
    expect(await stored("s1")).toMatchObject({
      end_reason: "timeout",
      exit_page: "/end",
      source: "Google",
      entry_page: "/",
    });
  });

  test("a batch holding one visit twice keeps the later, and instances writing at once agree", async () => {
    await history.writeVisits([
      visit({ session_id: "s2", last_activity: NOON + 50, page_views: 5 }),
      visit({ session_id: "s2", last_activity: NOON + 10, page_views: 1 }),
    ]);
    expect(await stored("s2")).toMatchObject({ page_views: 5 });
    const rounds = Array.from({ length: 3 }, (_, instance) =>
      history.writeVisits(
        Array.from({ length: 200 }, (_, index) =>
          visit({
            session_id: `many-${(index * 7 + instance) % 200}`,
            last_activity: NOON + instance,
            page_views: instance,
          }),
        ),
      ),
    );
    await Promise.all(rounds);
    const [row] =
      await sql`SELECT COUNT(*)::int AS n, MIN(page_views) AS low, MAX(page_views) AS high
      FROM sessions WHERE session_id LIKE 'many-%'`;
    expect(row).toEqual({ n: 200, low: 2, high: 2 });
    const [site] =
      await sql`SELECT first_seen::float8 AS first, last_seen::float8 AS last FROM sites`;
    expect(site).toEqual({ first: NOON, last: NOON + 100 });
  });

  describe.skipIf(!hasRedis)("the archiver", () => {
    let redis: RedisProcess;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.dispose();
    });

    test("writes custom events' properties with their events, each property capped per day", async () => {
      const stream = "props:1";
      const log = await RedisEventLog.connect({ url: redis.url, stream });
      log.startTail(0);
      const custom = (value: string, at: number): VisitorEvent => ({
        type: "custom",
        name: "Click",
        page: "/",
        session_id: "p1",
        site: "example.com",
        country: "GB",
        device: "mobile",
        metadata: { btn: value, device: "ignored", count: 3 },
        timestamp: null,
        received_at: new Date(at).toISOString(),
      });
      await log.append(
        ["a", "b", "c", "d", "a"].map((v) => custom(v, NOON)),
        NOON,
      );
      await log.append([custom("e", NOON + 86_400_000)], NOON + 86_400_000);
      await log.close();
      const archiver = await Archiver.start({
        redisUrl: redis.url,
        sql,
        stream,
        consumer: "one",
        propValuesPerDay: 2,
      });
      await until(() => archiver.totals.archived === 6);
      await archiver.stop();
      const rows = await sql`SELECT event_id::int AS id, key, value FROM event_props
        WHERE key = 'btn' ORDER BY event_id`;
      expect(rows.map((row: { value: string }) => row.value)).toEqual([
        "a",
        "b",
        "(other)",
        "(other)",
        "a",
        "e",
      ]);
      const [counts] = await sql`SELECT COUNT(*)::int AS n FROM event_props WHERE key = 'count'`;
      expect(counts).toEqual({ n: 6 });
      const [device] = await sql`SELECT COUNT(*)::int AS n FROM event_props WHERE key = 'device'`;
      expect(device).toEqual({ n: 0 });
    });
  });
});
