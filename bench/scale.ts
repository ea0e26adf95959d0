/**
 * Parts 4 and 5: memory after N events over S distinct sessions (all still active), and read
 * latency at that size.
 *   bun bench/scale.ts [--events 1000000] [--sessions 100000] [--reads 1000] [--rounds 3] [--idle 30]
 */
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN, median, percentile, startFootfall, summarise } from "./lib/processes.ts";

type Stat = ReturnType<typeof summarise>;

async function status(url: string) {
  const body = (await (await fetch(`${url}/api/status?token=${BENCH_TOKEN}`)).json()) as {
    data: {
      memory: { rss: number; heap_used: number };
      active_sessions: { count: number };
      events_received: number;
    };
  };
  return body.data;
}

export async function benchScale(options: {
  events: number;
  sessions: number;
  reads: number;
  rounds: number;
  idleSeconds: number;
}) {
  const server = await startFootfall({
    MAX_ACTIVE_SESSIONS: String(Math.max(200_000, options.sessions)),
    // A running server saves its live state every 30 s by default: save it every few seconds here
    // so that the memory measured includes what a snapshot of 100,000 sessions costs.
    SNAPSHOT_INTERVAL_SECONDS: "5",
  });
  try {
    const empty = await status(server.url);
    const batch = 500;
    let next = 0;
    const ingestStarted = performance.now();
    const poster = async () => {
      while (next < options.events) {
        const from = next;
        next = Math.min(options.events, next + batch);
        const events = [];
        for (let index = from; index < next; index++)
          events.push(sampleEvent(index, options.sessions));
        const response = await fetch(`${server.url}/api/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(events),
        });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`ingest failed: ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, poster));
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    const peak = await status(server.url);
    // RSS right after the burst still holds garbage the collector has not returned yet, and while
    // idle it rises and falls with collections and snapshots. Idle for a while (30 s by default;
    // snapshots every 5 s go on) and report the median RSS of its last two thirds, with the range.
    let full = peak;
    const idle: number[] = [];
    // Meanwhile, how long the event loop is held while a snapshot of this state is written: one
    // event every 2 s (so each 5 s snapshot has something to save) and /health every 5 ms; the
    // slowest /health answer bounds the longest block.
    let idling = true;
    const healthMs: number[] = [];
    const pinger = (async () => {
      for (let sent = 0; idling; sent++) {
        if (sent % 400 === 0) {
          const response = await fetch(`${server.url}/api/events`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(sampleEvent(options.events + sent, options.sessions)),
          });
          await response.arrayBuffer();
        }
        const started = performance.now();
        await (await fetch(`${server.url}/health`)).arrayBuffer();
        healthMs.push(performance.now() - started);
        await Bun.sleep(5);
      }
    })();
    for (let waited = 0; waited < options.idleSeconds * 1000; waited += 500) {
      await Bun.sleep(500);
      full = await status(server.url);
      idle.push(full.memory.rss / 2 ** 20);
    }
    idling = false;
    await pinger;
    healthMs.sort((a, b) => a - b);

    const reads: Record<string, { p50_ms: Stat; p99_ms: Stat }> = {};
    const paths = [
      "/api/analytics/summary",
      "/api/analytics/summary?country=US&page=/products/1",
      "/api/analytics/sessions",
      "/api/analytics/sessions?country=US&limit=100",
      "/api/analytics/detailed",
    ];
    const read = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${BENCH_TOKEN}` },
      });
      await response.arrayBuffer();
      return performance.now() - started;
    };
    // Warm-up (first compilation of the routes and their schemas is not the steady state).
    for (const path of paths) for (let index = 0; index < 50; index++) await read(path);
    // Rounds that take every path in turn, so a pause (a collection, say) is not pinned on one.
    const rounds: Record<string, { p50: number[]; p99: number[] }> = {};
    for (let round = 0; round < options.rounds; round++) {
      for (const path of paths) {
        const latencies: number[] = [];
        for (let index = 0; index < options.reads; index++) latencies.push(await read(path));
        latencies.sort((a, b) => a - b);
        rounds[path] ??= { p50: [], p99: [] };
        rounds[path].p50.push(percentile(latencies, 50));
        rounds[path].p99.push(percentile(latencies, 99));
      }
    }
    for (const [path, { p50, p99 }] of Object.entries(rounds)) {
      reads[path] = { p50_ms: summarise(p50, 2), p99_ms: summarise(p99, 2) };
    }
    return {
      events: full.events_received,
      active_sessions: full.active_sessions.count,
      ingest_events_per_second: Math.round(options.events / ingestSeconds),
      rss_empty_mb: Number((empty.memory.rss / 2 ** 20).toFixed(1)),
      idle_seconds: options.idleSeconds,
      rss_peak_mb: Number((peak.memory.rss / 2 ** 20).toFixed(1)),
      rss_mb: Number(median(idle.slice(Math.floor(idle.length / 3))).toFixed(1)),
      rss_idle_range_mb: idle.length
        ? [Math.min(...idle), Math.max(...idle)].map((mb) => Number(mb.toFixed(1)))
        : [],
      heap_used_mb: Number((full.memory.heap_used / 2 ** 20).toFixed(1)),
      idle_health_ms: {
        p50: Number(percentile(healthMs, 50).toFixed(1)),
        p99: Number(percentile(healthMs, 99).toFixed(1)),
        // Snapshots of the whole state every 5 s: the longest event-loop block they cause.
        max: Number((healthMs[healthMs.length - 1] ?? 0).toFixed(1)),
      },
      bytes_per_active_session: Math.round(
        (median(idle.slice(Math.floor(idle.length / 3))) * 2 ** 20 - empty.memory.rss) /
          Math.max(1, full.active_sessions.count),
      ),
      reads_per_round: options.reads,
      reads_measured_from_client: reads,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      sessions: { type: "string", default: "100000" },
      reads: { type: "string", default: "1000" },
      rounds: { type: "string", default: "3" },
      idle: { type: "string", default: "30" },
    },
  });
  console.log(
    JSON.stringify(
      await benchScale({
        events: Number(values.events),
        sessions: Number(values.sessions),
        reads: Number(values.reads),
        rounds: Number(values.rounds),
        idleSeconds: Number(values.idle),
      }),
      null,
      2,
    ),
  );
}
