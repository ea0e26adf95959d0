import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";
import { eventually, TEST_TOKEN } from "../support/server.ts";

setDefaultTimeout(40_000);

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";

const post = (instance: ServerProcess, page: string) =>
  fetch(`${instance.url}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": CHROME },
    body: JSON.stringify({ type: "pageview", page, session_id: `s-${page}` }),
  });

interface ClusterStatus {
  stream_position: number;
  applied_position: number;
  archive_position: number;
  archive_lag_events: number;
  postgres: "ok" | "unreachable";
}
const clusterStatus = async (instance: ServerProcess) => {
  const response = await fetch(`${instance.url}/api/status`, { headers: AUTH });
  return ((await response.json()) as { data: { cluster: ClusterStatus } }).data.cluster;
};
const health = async (instance: ServerProcess) => {
  const response = await fetch(`${instance.url}/health`);
  return { code: response.status, status: ((await response.json()) as { status: string }).status };
};

describe.skipIf(!hasRedis || !hasPostgres)(
  "cluster mode when Postgres or a Redis replica fails",
  () => {
    let redis: RedisProcess;
    let postgres: PostgresProcess;
    const disposables: { dispose(): Promise<void> }[] = [];
    const env = (redisUrl: string, databaseUrl: string) => ({
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      API_TOKEN: TEST_TOKEN,
      LOG_LEVEL: "silent",
      RATE_LIMIT_PER_MINUTE: "0",
      SNAPSHOT_INTERVAL_SECONDS: "1",
      ARCHIVE_CLAIM_IDLE_SECONDS: "2",
      SHUTDOWN_TIMEOUT_SECONDS: "0.5",
    });

    beforeAll(async () => {
      [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    });
    afterAll(async () => {
      for (const one of disposables.reverse()) await one.dispose();
      await Promise.all([redis?.dispose(), postgres?.dispose()]);
    });

    test("Postgres down: ingestion goes on through Redis, health stays 200 but degraded, the archive lag grows; back: the archive catches up, nothing lost or doubled", async () => {
      const instances = await Promise.all(
        [0, 1].map(() => spawnServer(env(redis.url, postgres.url))),
      );
      disposables.push(...instances);
      const [a, b] = instances as [ServerProcess, ServerProcess];
      for (let n = 0; n < 20; n++)
        expect((await post(instances[n % 2] as ServerProcess, `/before/${n}`)).status).toBe(201);
      await eventually(async () => (await clusterStatus(a)).archive_lag_events === 0, 10_000);

      await postgres.stop();
      for (let n = 0; n < 30; n++)
        expect((await post(instances[n % 2] as ServerProcess, `/during/${n}`)).status).toBe(201);
      await eventually(async () => (await clusterStatus(b)).postgres === "unreachable", 10_000);
      const down = await clusterStatus(b);
      expect(down.applied_position).toBe(down.stream_position);
      expect(down.archive_lag_events).toBeGreaterThanOrEqual(30);
      expect(await health(b)).toEqual({ code: 200, status: "degraded" });
      // Live reads go on.
      const summary = await fetch(`${a.url}/api/analytics/summary`, { headers: AUTH });
      expect(summary.status).toBe(200);

      await postgres.start();
      for (const instance of instances) {
        await eventually(async () => (await clusterStatus(instance)).postgres === "ok", 15_000);
        await eventually(
          async () => (await clusterStatus(instance)).archive_lag_events === 0,
          15_000,
        );
        expect(await health(instance)).toEqual({ code: 200, status: "healthy" });
      }
      const sql = new SQL(postgres.url);
      const [row] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS d,
      MIN(position)::int AS first, MAX(position)::int AS last FROM events`;
      await sql.close();
      expect(row).toEqual({ n: 50, d: 50, first: 1, last: 50 });
    });

    test("REDIS_MIN_REPLICAS=1 with a real replica: acknowledged while it is up; stopped, 503 within the WAIT timeout; back, acknowledged again", async () => {
      const primary = await startRedis();
      disposables.push(primary);
      const replica = await startRedis({ replicaOf: primary.port });
      disposables.push(replica);
      const sql = new SQL(postgres.url);
      await sql`CREATE DATABASE replicated`;
      await sql.close();
      const databaseUrl = postgres.url.replace(/\/postgres$/, "/replicated");
      await eventually(async () => {
        const info = (await Bun.$`redis-cli -p ${primary.port} INFO replication`.text()).toString();
        return /connected_slaves:1/.test(info) && /state=online/.test(info);
      }, 10_000);
      const instance = await spawnServer({
        ...env(primary.url, databaseUrl),
        REDIS_MIN_REPLICAS: "1",
      });
      disposables.push(instance);
      expect((await post(instance, "/replicated/1")).status).toBe(201);

      await replica.kill();
      const started = performance.now();
      const refused = await post(instance, "/replicated/2");
      const ms = performance.now() - started;
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe("storage_unavailable");
      // WAIT's timeout is 1 s: refused then, not after the command timeout.
      expect(ms).toBeLessThan(2500);

      await replica.restart();
      await eventually(async () => (await post(instance, "/replicated/3")).status === 201, 15_000);
    });
  },
);
