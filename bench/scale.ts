/**
 * Parts 4 and 5: memory after N events over S distinct sessions (all still active), and read
 * latency at that size.
 *   bun bench/scale.ts [--events 1000000] [--sessions 100000] [--reads 1000]
 */
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN, percentile, startFootfall } from "./lib/processes.ts";

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

export async function benchScale(options: { events: number; sessions: number; reads: number }) {
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
    // RSS right after the burst still holds garbage the collector has not returned: wait until it
    // stops falling (no new low for 6 s, past at least one snapshot; at most 30 s), report both.
    let full = peak;
    let lowest = peak.memory.rss;
    for (let waited = 0, sinceLow = 0; waited < 30_000 && sinceLow < 6_000; waited += 500) {
      await Bun.sleep(500);
      full = await status(server.url);
      if (full.memory.rss < lowest) {
        lowest = full.memory.rss;
        sinceLow = 0;
      } else sinceLow += 500;
    }

    const reads: Record<string, { p50_ms: number; p99_ms: number }> = {};
    for (const path of [
      "/api/analytics/summary",
      "/api/analytics/summary?country=US&page=/products/1",
      "/api/analytics/sessions",
      "/api/analytics/sessions?country=US&limit=100",
      "/api/analytics/detailed",
    ]) {
      // Warm-up (first compilation of the route and its schemas is not the steady state).
      for (let index = 0; index < Math.min(50, options.reads); index++) {
        await (
          await fetch(`${server.url}${path}`, {
            headers: { authorization: `Bearer ${BENCH_TOKEN}` },
          })
        ).arrayBuffer();
      }
      const latencies: number[] = [];
      for (let index = 0; index < options.reads; index++) {
        const started = performance.now();
        const response = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${BENCH_TOKEN}` },
        });
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      reads[path] = {
        p50_ms: Number(percentile(latencies, 50).toFixed(2)),
        p99_ms: Number(percentile(latencies, 99).toFixed(2)),
      };
    }
    return {
      events: full.events_received,
      active_sessions: full.active_sessions.count,
      ingest_events_per_second: Math.round(options.events / ingestSeconds),
      rss_empty_mb: Number((empty.memory.rss / 2 ** 20).toFixed(1)),
      rss_peak_mb: Number((peak.memory.rss / 2 ** 20).toFixed(1)),
      rss_mb: Number((full.memory.rss / 2 ** 20).toFixed(1)),
      heap_used_mb: Number((full.memory.heap_used / 2 ** 20).toFixed(1)),
      bytes_per_active_session: Math.round(
        (full.memory.rss - empty.memory.rss) / Math.max(1, full.active_sessions.count),
      ),
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
    },
  });
  console.log(
    JSON.stringify(
      await benchScale({
        events: Number(values.events),
        sessions: Number(values.sessions),
        reads: Number(values.reads),
      }),
      null,
      2,
    ),
  );
}
