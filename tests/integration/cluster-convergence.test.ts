import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { RedisClient, SQL } from "bun";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";
import { eventually, TEST_TOKEN } from "../support/server.ts";

setDefaultTimeout(40_000);

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const STREAM = "footfall:events";
const GROUP = "footfall-archivers";
const COUNTRIES = ["US", "GB", "DE", "FR", "JP"];

let nextIp = 1;
const freshIp = () => `10.2.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

const post = (instance: ServerProcess, path: string, body: unknown) =>
  fetch(instance.url + path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-forwarded-for": freshIp(),
      "user-agent": CHROME,
    },
    body: JSON.stringify(body),
  });
const read = async (instance: ServerProcess, path: string) => {
  const response = await fetch(instance.url + path, { headers: AUTH });
  expect(response.status).toBe(200);
  return (await response.json()) as { data: Record<string, unknown> };
};
interface ClusterStatus {
  instance: string;
  stream_position: number;
  applied_position: number;
  archive_position: number;
  archive_lag_events: number;
  postgres: "ok" | "unreachable";
}
const clusterStatus = async (instance: ServerProcess) =>
  (await read(instance, "/api/status")).data.cluster as ClusterStatus;
const allApplied = (live: ServerProcess[]) =>
  eventually(async () => {
    const statuses = await Promise.all(live.map(clusterStatus));
    const stream = (statuses[0] as ClusterStatus).stream_position;
    return statuses.every((s) => s.applied_position === stream);
  }, 15_000);
const allArchived = (live: ServerProcess[]) =>
  eventually(
    async () =>
      (await Promise.all(live.map(clusterStatus))).every((s) => s.archive_lag_events === 0),
    20_000,
  );
/** Pages of every event the export holds, read from one instance. */
const exportedPages = async (instance: ServerProcess) => {
  const response = await fetch(`${instance.url}/api/events/export`, { headers: AUTH });
  expect(response.status).toBe(200);
  const lines = (await response.text()).trim().split("\n").filter(Boolean);
  return lines.map((line) => (JSON.parse(line) as { page: string }).page);
};

describe.skipIf(!hasRedis || !hasPostgres)(
  "cluster mode: three instances converge on the same answers, and on what Postgres holds",
  () => {
    let redis: RedisProcess;
    let postgres: PostgresProcess;
    let env: Record<string, string>;
    const instances: ServerProcess[] = [];

    beforeAll(async () => {
      [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
      env = {
        REDIS_URL: redis.url,
        DATABASE_URL: postgres.url,
        API_TOKEN: TEST_TOKEN,
        LOG_LEVEL: "warn",
        TRUST_PROXY: "true",
        RATE_LIMIT_PER_MINUTE: "0",
        COMPAT_PUBLIC_READS: "true",
        SNAPSHOT_INTERVAL_SECONDS: "1",
        SHUTDOWN_TIMEOUT_SECONDS: "0.5",
        ARCHIVE_CLAIM_IDLE_SECONDS: "2",
      };
      instances.push(...(await Promise.all([0, 1, 2].map(() => spawnServer(env)))));
    });
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.dispose()));
      await Promise.all([redis?.dispose(), postgres?.dispose()]);
    });

    test("10,000 events spread over three instances give the same summary, sessions and compatibility counts on each, and in Postgres", async () => {
      const live = instances.slice(0, 3);
      const batches = 100;
      const perBatch = 100;
      const sessions = 200;
      const send = async (batch: number) => {
        const events = Array.from({ length: perBatch }, (_, i) => {
          const k = batch * perBatch + i;
          return {
            type: "pageview",
            page: `/conv/${k % 50}`,
            session_id: `conv-${k % sessions}`,
            country: COUNTRIES[k % COUNTRIES.length],
          };
        });
        const response = await post(live[batch % 3] as ServerProcess, "/api/events", events);
        expect(response.status).toBe(201);
      };
      // Six batches in flight at a time, round-robin over the instances.
      for (let batch = 0; batch < batches; batch += 6) {
        await Promise.all(
          Array.from({ length: Math.min(6, batches - batch) }, (_, i) => send(batch + i)),
        );
      }
      const visits = 300;
      for (let n = 0; n < visits; n += 30) {
        await Promise.all(
          Array.from({ length: 30 }, async (_, i) => {
            const body = { customerId: `c${(n + i) % 7}`, deviceId: "d", websiteId: "conv-site" };
            const response = await post(live[(n + i) % 3] as ServerProcess, "/api/visit", body);
            expect(response.status).toBeLessThan(300);
          }),
        );
      }
      await allApplied(live);

      const answers = async (instance: ServerProcess) => ({
        summary: (await read(instance, "/api/analytics/summary")).data.summary,
        sessions: {
          ...(await read(instance, "/api/analytics/sessions?limit=1000")).data,
          retrieved_at: 0,
        },
        hits: await read(instance, "/api/overall-visit-count?websiteId=conv-site"),
        countries: await read(instance, "/api/v1/stats"),
      });
      const [first, ...rest] = await Promise.all(live.map(answers));
      for (const other of rest) expect(other).toEqual(first as Awaited<ReturnType<typeof answers>>);
      if (!first) throw new Error("no answers");
      // Every event and every visit counted once (the visits are events of the stream too).
      expect((first.summary as { total_today: number }).total_today).toBe(10_000 + visits);
      expect(first.hits).toMatchObject({ count: visits, unique_customers: 7 });
      const perCountry = 10_000 / COUNTRIES.length;
      expect(first.countries as unknown).toEqual(
        Object.fromEntries(COUNTRIES.map((country) => [country.toLowerCase(), perCountry])),
      );
      const listed = (
        first.sessions as unknown as { sessions: { session_id: string; page_views: number }[] }
      ).sessions;
      const conv = listed.filter((s) => s.session_id.startsWith("conv-"));
      expect(conv.length).toBe(sessions);
      expect(conv.every((s) => s.page_views === 10_000 / sessions)).toBe(true);

      // Postgres holds every event once, and the same visits, once archived.
      await allArchived(live);
      const sql = new SQL(postgres.url);
      try {
        const stream = (await clusterStatus(live[0] as ServerProcess)).stream_position;
        const [events] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS d,
          COUNT(*) FILTER (WHERE session_id LIKE 'conv-%')::int AS conv FROM events`;
        expect(events).toEqual({ n: stream, d: stream, conv: 10_000 });
        expect(stream).toBe(10_000 + visits);
        const byCountry = await sql`SELECT country, COUNT(*)::int AS n FROM events
          WHERE session_id LIKE 'conv-%' GROUP BY country ORDER BY country`;
        expect(byCountry).toEqual(
          [...COUNTRIES].sort().map((country) => ({ country, n: perCountry })),
        );
        await eventually(async () => {
          const rows = await sql`SELECT session_id, page_views FROM sessions
            WHERE session_id LIKE 'conv-%' ORDER BY session_id`;
          return (
            rows.length === sessions &&
            rows.every((row: { page_views: number }) => row.page_views === 10_000 / sessions)
          );
          // Each instance writes its visits on a one-second timer: generous on a loaded machine.
        }, 45_000);
      } finally {
        await sql.close();
      }
    }, 90_000);

    test("a session whose events alternate between instances keeps one journey, in order, on every instance", async () => {
      const live = instances.slice(0, 3);
      const pages = Array.from({ length: 12 }, (_, n) => `/alternate/${n}`);
      for (const [n, page] of pages.entries()) {
        const body = { type: "pageview", page, session_id: "alternating" };
        expect((await post(live[n % 3] as ServerProcess, "/api/events", body)).status).toBe(201);
      }
      await allApplied(live);
      const journeys = await Promise.all(
        live.map(async (instance) => {
          const session = (await read(instance, "/api/analytics/sessions/alternating")).data
            .session as { journey: ({ page: string } | string)[]; page_views: number };
          return session;
        }),
      );
      for (const session of journeys) {
        expect(session.page_views).toBe(pages.length);
        const visited = session.journey.map((step) =>
          typeof step === "string" ? step : step.page,
        );
        expect(visited).toEqual(pages);
      }
      expect(journeys[1]).toEqual(journeys[0] as (typeof journeys)[0]);
      expect(journeys[2]).toEqual(journeys[0] as (typeof journeys)[0]);
    });

    test("an instance SIGKILLed under load: every acknowledged event is in the export, and its pending archive batches are claimed", async () => {
      const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
      const victim = (await clusterStatus(c)).instance;
      const acknowledged: string[] = [];
      let sent = 0;
      let stop = false;
      const client = async (target: ServerProcess, lane: number) => {
        while (!stop) {
          const page = `/killed/${lane}/${sent++}`;
          const body = Array.from({ length: 5 }, (_, i) => ({
            type: "pageview",
            page: `${page}/${i}`,
            session_id: `killed-${lane}`,
          }));
          try {
            const response = await post(target, "/api/events", body);
            if (response.status === 201) acknowledged.push(...body.map((event) => event.page));
          } catch {
            // The killed instance's connections fail: not acknowledged.
            if (target === c) return;
          }
        }
      };
      const redisClient = new RedisClient(redis.url);
      const pendingOf = async (consumer: string) => {
        const reply = (await redisClient.send("XPENDING", [STREAM, GROUP])) as [
          number,
          unknown,
          unknown,
          [string, string][] | null,
        ];
        const entry = (reply[3] ?? []).find(([name]) => name === consumer);
        return Number(entry?.[1] ?? 0);
      };
      const load = [a, b, c, c].map((target, lane) => client(target, lane));
      // Inserts into the archive wait on this lock, so the victim is killed holding a batch.
      const sql = new SQL(postgres.url, { max: 1 });
      let pendingAtKill = 0;
      try {
        await sql.begin(async (tx) => {
          await tx`LOCK TABLE events IN SHARE MODE`;
          await eventually(
            async () => acknowledged.length >= 600 && (await pendingOf(victim)) > 0,
            15_000,
          );
          pendingAtKill = await pendingOf(victim);
          c.process.kill("SIGKILL");
          await c.process.exited;
        });
        await Bun.sleep(300);
        stop = true;
        await Promise.all(load);
        expect(acknowledged.length).toBeGreaterThan(600);
        expect(pendingAtKill).toBeGreaterThan(0);
        await eventually(async () => (await pendingOf(victim)) === 0, 15_000);
      } finally {
        stop = true;
        redisClient.close();
        await sql.close();
      }
      await allApplied([a, b]);
      await allArchived([a, b]);
      const exported = new Set(await exportedPages(b));
      const missing = acknowledged.filter((page) => !exported.has(page));
      expect(missing).toEqual([]);
      instances.splice(instances.indexOf(c), 1);
      await c.dispose();
    }, 60_000);

    test("Postgres stopped for 5 seconds: ingestion goes on, history reads answer 503 storage_unavailable, archiving catches up once it is back", async () => {
      const [a, b] = instances as [ServerProcess, ServerProcess];
      await allArchived([a, b]);
      const before = (await clusterStatus(a)).stream_position;
      await postgres.stop();
      const stoppedAt = Date.now();
      let n = 0;
      const historyReads = [
        "/api/analytics/query?site=default&metrics=visitors,pageviews&date_range=day",
        "/api/analytics/timeseries?interval=hour",
        "/api/events/export",
      ];
      const refusals: Record<string, unknown>[] = [];
      while (Date.now() - stoppedAt < 5000) {
        const body = { type: "pageview", page: `/pg-down/${n}`, session_id: `pg-down-${n % 4}` };
        expect((await post([a, b][n % 2] as ServerProcess, "/api/events", body)).status).toBe(201);
        n++;
        if (n % 10 === 0) {
          for (const path of historyReads) {
            const response = await fetch((n % 20 ? a : b).url + path, { headers: AUTH });
            expect({ path, status: response.status }).toEqual({ path, status: 503 });
            refusals.push((await response.json()) as Record<string, unknown>);
          }
        }
        await Bun.sleep(20);
      }
      expect(n).toBeGreaterThan(50);
      expect(refusals.length).toBeGreaterThan(0);
      for (const refusal of refusals) {
        expect(refusal).toMatchObject({ success: false, code: "storage_unavailable" });
        expect(refusal.error).toBeString();
        expect(refusal.message).toBeString();
      }

      await postgres.start();
      await allApplied([a, b]);
      await allArchived([a, b]);
      for (const path of historyReads) {
        expect((await fetch(a.url + path, { headers: AUTH })).status).toBe(200);
      }
      const sql = new SQL(postgres.url);
      try {
        const stream = (await clusterStatus(a)).stream_position;
        expect(stream).toBe(before + n);
        const [row] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS d,
          MAX(position)::int AS last,
          COUNT(*) FILTER (WHERE page LIKE '/pg-down/%')::int AS down FROM events`;
        expect(row).toEqual({ n: stream, d: stream, last: stream, down: n });
      } finally {
        await sql.close();
      }
    }, 60_000);
  },
);
