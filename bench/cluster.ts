/**
 * The cluster part: a real redis-server (AOF, `appendfsync always`) and Postgres, Footfall in
 * cluster mode beside the single process, measured in the same run.
 *
 * 1. Throughput of one instance in cluster mode against the single process, one event per request,
 *    the same load generator, alternating ABBA: the ratio (target ≥ 0.7).
 * 2. A second instance on the same Redis, taking no HTTP: while instance A takes the same load,
 *    B's CPU per event is what applying costs an instance; A's minus B's is HTTP and validation
 *    (and the append). Redis's CPU per event (INFO cpu) with one and with two tails gives the
 *    append's cost and each tail's; Postgres's active time per archived event its cost.
 * 3. The lag: 1,000 events a second for ~10 s to A, each event's time from A's 201 to its frame on
 *    a dashboard connected to B (p50/p99, target p99 < 50 ms).
 * 4. The scaling model for 2, 4 and 8 instances on machines of their own (modelCluster).
 *
 *   bun bench/cluster.ts [--seconds 5] [--runs 3] [--connections 50] [--lag-seconds 10]
 */
import { parseArgs } from "node:util";
import { RedisClient, SQL } from "bun";
import { hasPostgres, startPostgres } from "../tests/support/postgres-process.ts";
import { hasRedis, startRedis } from "../tests/support/redis-process.ts";
import { sampleEvent } from "./lib/events.ts";
import { runLoad } from "./lib/load.ts";
import {
  BENCH_TOKEN,
  percentile,
  type RunningProcess,
  startFootfall,
  summarise,
} from "./lib/processes.ts";

export interface ClusterOptions {
  seconds: number;
  runs: number;
  connections: number;
  /** Seconds of 1,000 events a second for the lag. */
  lagSeconds: number;
  lagRate?: number;
}

/** Per-event costs, in µs, that the model scales. */
export interface ClusterCosts {
  http_and_validation_us: number;
  apply_us: number;
  redis_append_us: number;
  redis_per_tail_us: number;
  postgres_archive_us: number;
}

export async function benchCluster(options: ClusterOptions) {
  if (!hasRedis || !hasPostgres) {
    return {
      skipped:
        "no redis-server or Postgres on this machine (apt-get install redis-server postgresql)",
    };
  }
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const clusterEnv = { REDIS_URL: redis.url, DATABASE_URL: postgres.url };
  const redisClient = new RedisClient(redis.url);
  const sql = new SQL(postgres.url, { max: 1 });
  const started: RunningProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const server = await startFootfall(env);
    started.push(server);
    return server;
  };
  try {
    const single = await start();
    const a = await start(clusterEnv);
    const streamLength = async () => Number(await redisClient.send("XLEN", ["footfall:events"]));
    const redisCpu = async () => {
      const info = String(await redisClient.send("INFO", ["cpu"]));
      const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
      return field("used_cpu_sys") + field("used_cpu_user");
    };
    /** One timed run: requests a second, the server's CPU µs a request, Redis's µs an event. */
    const measure = async (server: RunningProcess, others: RunningProcess[] = []) => {
      const [cpu, redisBefore, lengthBefore] = [
        server.cpuSeconds(),
        await redisCpu(),
        await streamLength(),
      ];
      const othersBefore = others.map((other) => other.cpuSeconds());
      const load = await runLoad({
        url: server.url,
        connections: options.connections,
        seconds: options.seconds,
      });
      const appended = (await streamLength()) - lengthBefore;
      const micros = (seconds: number, count: number) => (count > 0 ? (seconds * 1e6) / count : 0);
      return {
        rps: load.requests_per_second,
        p99_ms: load.p99_ms,
        errors: load.errors,
        cpu_us: micros(server.cpuSeconds() - cpu, load.requests),
        redis_us: micros((await redisCpu()) - redisBefore, appended),
        others_us: others.map((other, i) =>
          micros(other.cpuSeconds() - (othersBefore[i] ?? 0), appended),
        ),
      };
    };

    // 1. ABBA: single, cluster, cluster, single per round.
    const ratios: number[] = [];
    const singleRps: number[] = [];
    const clusterRps: number[] = [];
    const singleCpu: number[] = [];
    const clusterCpu: number[] = [];
    const redisAlone: number[] = [];
    for (let round = 0; round < options.runs; round++) {
      const s1 = await measure(single);
      const c1 = await measure(a);
      const c2 = await measure(a);
      const s2 = await measure(single);
      const s = (s1.rps + s2.rps) / 2;
      const c = (c1.rps + c2.rps) / 2;
      ratios.push(c / s);
      singleRps.push(s1.rps, s2.rps);
      clusterRps.push(c1.rps, c2.rps);
      singleCpu.push(s1.cpu_us, s2.cpu_us);
      clusterCpu.push(c1.cpu_us, c2.cpu_us);
      redisAlone.push(c1.redis_us, c2.redis_us);
    }
    await single.stop();
    started.splice(started.indexOf(single), 1);

    // 2. A second instance: its CPU per event is applying; Redis with two tails.
    const b = await start(clusterEnv);
    await caughtUp(b);
    const applyUs: number[] = [];
    const withTwoTails: number[] = [];
    const aCpuWithB: number[] = [];
    const pgBefore = await postgresActive(sql);
    const archivedBefore = await archivedPosition(sql);
    for (let round = 0; round < options.runs; round++) {
      const run = await measure(a, [b]);
      applyUs.push(run.others_us[0] ?? 0);
      withTwoTails.push(run.redis_us);
      aCpuWithB.push(run.cpu_us);
    }
    await caughtUp(a);
    await archivedThrough(sql, await streamLength());
    await Bun.sleep(1500); // Postgres's statistics reach pg_stat_database within a second.
    const pgUs =
      (((await postgresActive(sql)) - pgBefore) * 1000) /
      Math.max(1, (await archivedPosition(sql)) - archivedBefore);

    // 3. The lag from A's 201 to the frame on B's dashboard.
    const lag = await measureLag(a, b, options.lagSeconds, options.lagRate ?? 1000);

    const median = (values: number[]) => summarise(values, 1).median;
    const round = (value: number) => Number(Math.max(0, value).toFixed(1));
    const costs: ClusterCosts = {
      http_and_validation_us: round(median(aCpuWithB) - median(applyUs)),
      apply_us: round(median(applyUs)),
      redis_append_us: round(2 * median(redisAlone) - median(withTwoTails)),
      redis_per_tail_us: round(median(withTwoTails) - median(redisAlone)),
      postgres_archive_us: round(pgUs),
    };
    return {
      throughput: {
        single_requests_per_second: summarise(singleRps),
        cluster_requests_per_second: summarise(clusterRps),
        ratio_cluster_to_single: summarise(ratios, 3),
        single_cpu_us_per_request: summarise(singleCpu, 1),
        cluster_cpu_us_per_request: summarise(clusterCpu, 1),
        connections: options.connections,
        seconds: options.seconds,
      },
      lag: lag,
      measured: {
        instance_cpu_us_per_request_with_second_instance: summarise(aCpuWithB, 1),
        second_instance_cpu_us_per_event: summarise(applyUs, 1),
        redis_cpu_us_per_event_one_tail: summarise(redisAlone, 2),
        redis_cpu_us_per_event_two_tails: summarise(withTwoTails, 2),
        postgres_active_us_per_archived_event: costs.postgres_archive_us,
      },
      costs,
      model: modelCluster(costs, [1, 2, 4, 8]),
    };
  } finally {
    for (const server of started.reverse()) await server.stop().catch(() => {});
    redisClient.close();
    await sql.close().catch(() => {});
    await Promise.all([redis.dispose(), postgres.dispose()]);
  }
}

/**
 * Events a second a cluster of `n` instances takes, each on a machine of its own core budget, from
 * the per-event costs: HTTP and validation divide across the instances; every instance applies
 * every event (a ceiling of 1/apply whatever n is); Redis, one primary on one core, appends each
 * event once and delivers it to n tails; Postgres archives each event once (one core's worth here).
 */
export function modelCluster(costs: ClusterCosts, sizes: number[]) {
  const perSecond = (micros: number) => (micros > 0 ? 1e6 / micros : Infinity);
  return sizes.map((n) => {
    // An instance's core: HTTP for its share of the events, and applying all of them.
    const instances = perSecond(costs.http_and_validation_us / n + costs.apply_us);
    const redis = perSecond(costs.redis_append_us + n * costs.redis_per_tail_us);
    const postgres = perSecond(costs.postgres_archive_us);
    const ceilings = { instances, redis, postgres };
    const [bound, events] = Object.entries(ceilings).sort((x, y) => x[1] - y[1])[0] as [
      string,
      number,
    ];
    return {
      instances: n,
      events_per_second: Math.round(events),
      bound_by: bound,
      ceilings: Object.fromEntries(Object.entries(ceilings).map(([k, v]) => [k, Math.round(v)])),
    };
  });
}

async function caughtUp(instance: RunningProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${instance.url}/api/status`, {
      headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    });
    const cluster = ((await response.json()) as { data: { cluster: { lag_events: number } } }).data
      .cluster;
    if (cluster.lag_events === 0) return;
    await Bun.sleep(50);
  }
  throw new Error(`${instance.url} did not catch up`);
}

async function postgresActive(sql: SQL): Promise<number> {
  await sql`SELECT pg_stat_clear_snapshot()`;
  const [row] =
    await sql`SELECT active_time::float8 AS ms FROM pg_stat_database WHERE datname = current_database()`;
  return Number((row as { ms: number }).ms);
}

async function archivedPosition(sql: SQL): Promise<number> {
  const [row] =
    await sql`SELECT COALESCE(MAX(position), 0)::float8 AS position FROM archive_position`;
  return Number((row as { position: number }).position);
}

async function archivedThrough(sql: SQL, length: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const [row] = await sql`SELECT COUNT(*)::float8 AS n FROM events`;
    if (Number((row as { n: number }).n) >= length) return;
    await Bun.sleep(100);
  }
}

/**
 * `rate` events a second, one a request, posted to `a` for `seconds`; each event's time from its
 * 201 to its `visitor_update` on a dashboard of `b` (one frame per event: the earlier system's
 * dashboard, no coalescing tick). Both clocks are this process's.
 */
async function measureLag(a: RunningProcess, b: RunningProcess, seconds: number, rate: number) {
  const acknowledged = new Map<number, number>();
  const framed = new Map<number, number>();
  const socket = new WebSocket(`${b.url.replace(/^http/, "ws")}/ws?token=${BENCH_TOKEN}`);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("dashboard did not connect")), {
      once: true,
    });
  });
  socket.addEventListener("message", (message) => {
    const now = performance.now();
    const frame = JSON.parse(String(message.data)) as {
      type: string;
      data: { event?: { metadata?: { lag_seq?: number } } };
    };
    const seq = frame.type === "visitor_update" ? frame.data.event?.metadata?.lag_seq : undefined;
    if (seq !== undefined && !framed.has(seq)) framed.set(seq, now);
  });
  const total = Math.round(rate * seconds);
  const began = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let failed = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rate));
    while (sent < due) {
      const seq = sent++;
      const request = fetch(`${a.url}/api/events`, {
        method: "POST",
        headers: { "content-type": "application/json", prefer: "return=minimal" },
        body: JSON.stringify(sampleEvent(seq, 10_000, { lag_seq: seq })),
      })
        .then(async (response) => {
          await response.arrayBuffer();
          if (response.status === 201) acknowledged.set(seq, performance.now());
          else failed++;
        })
        .catch(() => {
          failed++;
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await Bun.sleep(1);
  }
  await Promise.all(inFlight);
  await Bun.sleep(1000);
  socket.close();
  const lags: number[] = [];
  let early = 0;
  for (const [seq, at] of acknowledged) {
    const seen = framed.get(seq);
    if (seen === undefined) continue;
    // B may show an event before A's answer reaches the client: a lag of 0.
    if (seen < at) early++;
    lags.push(Math.max(0, seen - at));
  }
  lags.sort((x, y) => x - y);
  const round = (value: number) => Number(value.toFixed(2));
  return {
    rate,
    seconds,
    acknowledged: acknowledged.size,
    failed,
    framed_on_b: lags.length,
    shown_on_b_before_the_201: early,
    p50_ms: round(percentile(lags, 50)),
    p99_ms: round(percentile(lags, 99)),
    max_ms: round(lags.at(-1) ?? 0),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      connections: { type: "string", default: "50" },
      "lag-seconds": { type: "string", default: "10" },
    },
  });
  const result = await benchCluster({
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    connections: Number(values.connections),
    lagSeconds: Number(values["lag-seconds"]),
  });
  console.log(JSON.stringify(result, null, 2));
}
