import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { loadConfig } from "../../config/index.ts";
import { launchServer } from "../../server.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";
import { DashboardClient, eventually, type Frame, TEST_TOKEN } from "../support/server.ts";

setDefaultTimeout(30_000);

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
/** Every request comes through a trusted proxy naming its client: tests pick their own IPs. */
let nextIp = 1;
const freshIp = () => `10.1.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

/** Positions and pages of the events a dashboard was sent, in the order it received them. */
function eventsOf(dashboard: DashboardClient): { position: number; page: string }[] {
  const events: { position: number; page: string }[] = [];
  const add = (event: Record<string, unknown>) =>
    events.push({ position: event.position as number, page: event.page as string });
  for (const frame of dashboard.frames as Frame[]) {
    if (frame.type === "visitor_update") add(frame.data.event as Record<string, unknown>);
    if (frame.type === "visitor_batch") {
      for (const event of frame.data.events as Record<string, unknown>[]) add(event);
    }
  }
  return events;
}

describe.skipIf(!hasRedis || !hasPostgres)(
  "cluster mode: three instances on one Redis and one Postgres",
  () => {
    let redis: RedisProcess;
    let postgres: PostgresProcess;
    let env: Record<string, string>;
    const instances: ServerProcess[] = [];
    const dashboards: DashboardClient[] = [];

    const start = async () => {
      const instance = await spawnServer(env);
      expect((await fetch(`${instance.url}/health`)).status).toBe(200);
      instances.push(instance);
      return instance;
    };
    const dashboard = async (instance: ServerProcess) => {
      const client = await DashboardClient.connect(
        `${instance.url.replace(/^http/, "ws")}/ws?token=${TEST_TOKEN}`,
      );
      dashboards.push(client);
      return client;
    };
    const post = (instance: ServerProcess, path: string, body: unknown, ip = freshIp()) =>
      fetch(instance.url + path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-forwarded-for": ip,
          "user-agent": CHROME,
        },
        body: JSON.stringify(body),
      });
    const read = async (instance: ServerProcess, path: string) => {
      const response = await fetch(instance.url + path, { headers: AUTH });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown> & { data: Record<string, unknown> };
    };
    const status = async (instance: ServerProcess) =>
      (await read(instance, "/api/status")).data.cluster as {
        [key in "stream_position" | "applied_position" | "lag_events" | "archive_position"]: number;
      };
    /** What must be equal on every instance: the summary, the compatibility counts. */
    const answers = async (instance: ServerProcess) => {
      const summary = (await read(instance, "/api/analytics/summary")).data.summary as Record<
        string,
        unknown
      >;
      const hits = await read(instance, "/api/overall-visit-count?websiteId=cluster-site");
      const countries = await read(instance, "/api/v1/stats");
      return { summary, hits, countries: countries.data };
    };
    const allApplied = async (live: ServerProcess[]) => {
      await eventually(async () => {
        const positions = await Promise.all(
          live.map(async (i) => (await status(i)).applied_position),
        );
        const stream = (await status(live[0] as ServerProcess)).stream_position;
        return positions.every((p) => p === stream);
      }, 10_000);
    };

    beforeAll(async () => {
      [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
      env = {
        REDIS_URL: redis.url,
        DATABASE_URL: postgres.url,
        API_TOKEN: TEST_TOKEN,
        LOG_LEVEL: "warn",
        TRUST_PROXY: "true",
        RATE_LIMIT_PER_MINUTE: "30",
        COMPAT_PUBLIC_READS: "true",
        WS_MAX_FRAMES_PER_SECOND: "1000",
        SNAPSHOT_INTERVAL_SECONDS: "1",
        ALERT_THRESHOLD: "5",
        SHUTDOWN_TIMEOUT_SECONDS: "0.5",
        ARCHIVE_CLAIM_IDLE_SECONDS: "2",
      };
      await Promise.all([start(), start(), start()]);
    });

    afterAll(async () => {
      for (const client of dashboards) {
        expect(client.protocolErrors).toEqual([]);
        client.close();
      }
      await Promise.all(instances.map((instance) => instance.dispose()));
      await Promise.all([redis?.dispose(), postgres?.dispose()]);
    });

    test("every dashboard sees every event once, in the same order; every instance answers alike", async () => {
      const live = instances.slice(0, 3);
      const screens = await Promise.all(live.map(dashboard));
      const sent = 60;
      const answered = await Promise.all(
        Array.from({ length: sent }, (_, n) => {
          const instance = live[n % 3] as ServerProcess;
          if (n % 4 === 0) {
            return post(instance, "/api/visit", {
              customerId: `c${n % 5}`,
              deviceId: "d",
              websiteId: "cluster-site",
            });
          }
          return post(instance, "/api/events", {
            type: "pageview",
            page: `/rr/${n}`,
            session_id: `rr-${n % 7}`,
            country: n % 2 ? "GB" : "US",
          });
        }),
      );
      expect(answered.map((response) => response.status).every((s) => s === 201 || s === 200)).toBe(
        true,
      );
      await allApplied(live);
      await eventually(() => screens.every((screen) => eventsOf(screen).length >= sent), 5000);
      const seen = screens.map(eventsOf);
      const first = seen[0] as { position: number; page: string }[];
      expect(first.length).toBe(sent);
      for (const other of seen) expect(other).toEqual(first);
      const positions = first.map((event) => event.position);
      expect(positions).toEqual(positions.map((_, i) => (positions[0] as number) + i));
      // The spike is announced once on each dashboard, each instance alerting from the same log.
      const spikes = screens.map(
        (screen) =>
          screen
            .ofType("alert")
            .filter((frame) => frame.data.kind === "spike" && frame.data.replayed !== true).length,
      );
      expect(spikes).toEqual([1, 1, 1]);
      const expected = await answers(live[0] as ServerProcess);
      expect((expected.hits as { data?: unknown }).data ?? expected.hits).toBeTruthy();
      for (const instance of live.slice(1)) expect(await answers(instance)).toEqual(expected);
    });

    test("history, visits and the query endpoint read the shared Postgres: every instance answers alike", async () => {
      const live = instances.slice(0, 3);
      await eventually(async () => {
        const cluster = await status(live[0] as ServerProcess);
        return cluster.archive_position >= cluster.stream_position;
      }, 15_000);
      const history = async (instance: ServerProcess) => {
        const exported = await fetch(`${instance.url}/api/events/export`, { headers: AUTH });
        expect(exported.status).toBe(200);
        const query = await read(
          instance,
          "/api/analytics/query?site=default&metrics=visitors,visits,pageviews&date_range=day",
        );
        const top = await read(instance, "/api/analytics/top?dimension=page&limit=100");
        return {
          exported: (await exported.text()).trim().split("\n").length,
          query: query.results ?? query.data,
          top: top.data,
        };
      };
      const first = await history(live[0] as ServerProcess);
      expect(first.exported).toBe(60);
      expect(first.query).toBeTruthy();
      for (const instance of live.slice(1)) expect(await history(instance)).toEqual(first);
    });

    test("a session that just ended is found at once on the instance that took its end (the Postgres write awaited)", async () => {
      const live = instances.slice(0, 3);
      for (let n = 0; n < 6; n++) {
        const instance = live[n % 3] as ServerProcess;
        const session_id = `just-ended-${n}`;
        const ip = freshIp();
        expect(
          (await post(instance, "/api/events", { type: "pageview", page: "/a", session_id }, ip))
            .status,
        ).toBe(201);
        const end = { type: "session_end", page: "/a", session_id };
        expect((await post(instance, "/api/events", end, ip)).status).toBe(201);
        const found = await read(instance, `/api/analytics/sessions/${session_id}`);
        const session = found.data.session as { session_id: string; ended_at?: string };
        expect(session.session_id).toBe(session_id);
        expect(session.ended_at).toBeString();
      }
    });

    test("the rate limit counts a client's requests on every instance together", async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let n = 0; n < 30; n++) {
        const instance = instances[n % 3] as ServerProcess;
        const body = { type: "pageview", page: "/limited", session_id: `limited-${n}` };
        statuses.push((await post(instance, "/api/events", body, ip)).status);
      }
      expect(statuses.every((s) => s === 201)).toBe(true);
      for (const instance of instances.slice(0, 3)) {
        const body = { type: "pageview", page: "/limited", session_id: "over" };
        expect((await post(instance, "/api/events", body, ip)).status).toBe(429);
      }
    });

    test("the same visitor through /api/collect on two instances gets one visitor id (one salt)", async () => {
      const [a, b] = instances as [ServerProcess, ServerProcess];
      const screen = await dashboard(a);
      const ip = "81.2.69.142";
      for (const [instance, page] of [
        [a, "/salt-a"],
        [b, "/salt-b"],
      ] as const) {
        const response = await post(
          instance,
          "/api/collect",
          { type: "pageview", page, session_id: `salt-${page}`, site: "salt.example" },
          ip,
        );
        expect(response.status).toBe(202);
      }
      const idOf = async (page: string) =>
        (
          (
            await screen.next(
              "visitor_update",
              (f) => (f.data.event as { page: string }).page === page,
            )
          ).data.event as { visitor_id?: string }
        ).visitor_id;
      const [first, second] = [await idOf("/salt-a"), await idOf("/salt-b")];
      expect(first).toBeString();
      expect(second).toBe(first as string);
    });

    test("a killed instance loses no acknowledged event, the others keep serving, and it catches up when restarted", async () => {
      const [a, b, c] = instances as [ServerProcess, ServerProcess, ServerProcess];
      const screens = await Promise.all([dashboard(a), dashboard(b)]);
      const acknowledged: string[] = [];
      let n = 0;
      let killed = false;
      const load = (async () => {
        while (n < 150) {
          const batch = Array.from({ length: 6 }, () => n++).map(async (k) => {
            const target = [a, b, c][k % 3] as ServerProcess;
            const page = `/kill/${k}`;
            try {
              const response = await post(target, "/api/events", {
                type: "pageview",
                page,
                session_id: `kill-${k % 9}`,
              });
              if (response.status === 201) acknowledged.push(page);
            } catch {
              // The killed instance's connections fail: not acknowledged.
            }
          });
          await Promise.all(batch);
          if (n >= 60 && !killed) {
            killed = true;
            c.process.kill("SIGKILL");
          }
        }
      })();
      await load;
      await c.process.exited;
      expect(acknowledged.length).toBeGreaterThan(100);
      await allApplied([a, b]);
      for (const screen of screens) {
        const pages = new Set(eventsOf(screen).map((event) => event.page));
        for (const page of acknowledged) expect(pages.has(page)).toBe(true);
      }
      expect(await answers(b)).toEqual(await answers(a));

      // Restarted (its own fresh DATA_DIR): the snapshot in Postgres, the archive, then the stream.
      // The survivors snapshot every second (SNAPSHOT_INTERVAL_SECONDS=1): on a fast run the first
      // may still be due, so wait for it rather than race it.
      const sql = new SQL(postgres.url);
      const newestSnapshot = async () =>
        (
          (await sql`SELECT MAX(position)::int AS position FROM snapshots`)[0] as {
            position: number | null;
          }
        ).position;
      await eventually(async () => ((await newestSnapshot()) ?? 0) > 0, 10_000);
      const position = await newestSnapshot();
      await sql.close();
      expect(position).toBeGreaterThan(0);
      const restarted = await start();
      instances.splice(instances.indexOf(c), 1);
      await c.dispose();
      await allApplied([a, b, restarted]);
      expect(await answers(restarted)).toEqual(await answers(a));
      expect(restarted.output() + restarted.errors()).not.toContain('"level":50');
    });

    test("an instance started late answers every read like the others within seconds", async () => {
      const [a] = instances as [ServerProcess];
      const began = Date.now();
      const late = await start();
      await allApplied([a, late]);
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(await answers(late)).toEqual(await answers(a));
      const cluster = await status(late);
      expect(cluster.lag_events).toBe(0);
      expect(cluster.archive_position).toBeGreaterThanOrEqual(0);
    });

    test("services.cluster.metrics(): stream lag (events and ms) while this instance is behind, none once caught up; archive lag none once archived", async () => {
      const [a] = instances as [ServerProcess];
      const dataDir = mkdtempSync(join(tmpdir(), "footfall-metrics-"));
      const config = loadConfig({ ...env, LOG_LEVEL: "silent", PORT: "0", DATA_DIR: dataDir });
      const running = await launchServer(config);
      try {
        const cluster = running.services.cluster;
        if (!cluster) throw new Error("not in cluster mode");
        await eventually(() => cluster.metrics().lagEvents === 0, 5000);
        // Held (as a snapshot holds it), this instance applies nothing while others take events.
        const release = running.services.pipeline.hold();
        const sentAt = Date.now();
        for (let n = 0; n < 5; n++) {
          const body = { type: "pageview", page: "/lag", session_id: `lag-${n}` };
          expect((await post(a, "/api/events", body)).status).toBe(201);
        }
        await Bun.sleep(200);
        await eventually(() => cluster.metrics().lagEvents === 5, 3000);
        const behind = cluster.metrics();
        expect(behind.lagMs).toBeGreaterThanOrEqual(200);
        expect(behind.lagMs).toBeLessThan(Date.now() - sentAt + 1500);
        // The same figures for Prometheus.
        const scraped = await (await fetch(`${running.url}/metrics`, { headers: AUTH })).text();
        expect(scraped).toContain("footfall_stream_lag_events 5");
        expect(scraped).toMatch(
          /footfall_stream_lag_seconds 0\.[2-9]|footfall_stream_lag_seconds [1-9]/,
        );
        expect(scraped).toContain("footfall_archive_lag_events");
        expect(scraped).toContain("footfall_storage_degraded 0");
        release();
        // This instance's own appends are XADD groups, timed as its commits.
        const own = { type: "pageview", page: "/timed", session_id: "timed" };
        expect(
          (
            await fetch(`${running.url}/api/events`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(own),
            })
          ).status,
        ).toBe(201);
        const timed = await (await fetch(`${running.url}/metrics`, { headers: AUTH })).text();
        const count = Number(/footfall_commit_duration_seconds_count (\d+)/.exec(timed)?.[1] ?? 0);
        expect(count).toBeGreaterThanOrEqual(1);
        expect(timed).toContain('footfall_events_accepted_total{route="/api/events"} 1');
        expect(cluster.metrics()).toMatchObject({ lagEvents: 0, lagMs: 0 });
        // (A batch the killed instance held is claimed after ARCHIVE_CLAIM_IDLE_SECONDS.)
        await eventually(() => cluster.metrics().archiveLagEvents === 0, 10_000);
        const status = (await (
          await fetch(`${running.url}/api/status`, { headers: AUTH })
        ).json()) as { data: { cluster: Record<string, number> } };
        expect(status.data.cluster).toMatchObject({
          lag_events: 0,
          lag_ms: 0,
          archive_lag_events: 0,
        });
      } finally {
        await running.shutdown();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    test("while Redis is down ingestion answers 503 storage_unavailable and health is degraded; both recover by themselves", async () => {
      const [a, b] = instances as [ServerProcess, ServerProcess];
      await redis.kill();
      const body = { type: "pageview", page: "/down", session_id: "down" };
      await eventually(async () => (await post(a, "/api/events", body)).status === 503, 10_000);
      const refused = await post(a, "/api/events", body);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe("storage_unavailable");
      await eventually(async () => (await fetch(`${b.url}/health`)).status === 503, 10_000);
      const health = (await (await fetch(`${a.url}/health`)).json()) as { status: string };
      expect(health.status).toBe("degraded");

      await redis.restart();
      await eventually(async () => (await fetch(`${a.url}/health`)).status === 200, 15_000);
      await eventually(
        async () => (await post(b, "/api/events", { ...body, page: "/up" })).status === 201,
        10_000,
      );
      await allApplied(instances.slice());
      const [first, ...rest] = await Promise.all(instances.map(answers));
      for (const other of rest) expect(other).toEqual(first as Awaited<ReturnType<typeof answers>>);
    });
  },
);
