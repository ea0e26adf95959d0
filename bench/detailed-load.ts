/**
 * Part 8: `/health` while dashboards ask for detailed stats as fast as they are allowed, with the
 * live state at its caps (active sessions and tracked keys full). Each dashboard has its own
 * filter and sends request_detailed_stats as fast as the general message allowance lets it: its
 * 600 for the minute at once, then one every 100 ms (the server answers
 * WS_DETAILED_STATS_PER_MINUTE of them a minute and refuses the rest). The dashboards run in their
 * own process; `/health` is read from this one at a steady rate whatever the answers' delay (a
 * stall delays every read due in it), first with no dashboards (baseline), then under their load.
 *   bun bench/detailed-load.ts [--sessions 200000] [--keys 10000] [--dashboards 5] [--seconds 10]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_TOKEN, percentile, startFootfall } from "./lib/processes.ts";

const COUNTRIES = 200;

/** One pageview per session, pages and countries past the tracked-keys cap. */
async function fill(url: string, sessions: number, keys: number): Promise<void> {
  const batch = 500;
  let next = 0;
  const poster = async () => {
    while (next < sessions) {
      const from = next;
      next = Math.min(sessions, next + batch);
      const events = [];
      for (let index = from; index < next; index++) {
        events.push({
          type: "pageview",
          page: `/catalogue/item-${index % Math.ceil(keys * 1.2)}`,
          session_id: `visitor-${index}`,
          site: `site-${index % 5}`,
          country: `Country ${index % COUNTRIES}`,
          metadata: { device: ["desktop", "mobile", "tablet"][index % 3] },
        });
      }
      const response = await fetch(`${url}/api/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`fill failed: ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, poster));
}

/** `/health` read every 5 ms for `seconds`, not waiting for answers: p50, p99, worst, in ms. */
async function probeHealth(url: string, seconds: number) {
  const latencies: number[] = [];
  const reads: Promise<void>[] = [];
  const read = async () => {
    const started = performance.now();
    const response = await fetch(`${url}/health`);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
  };
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    reads.push(read());
    await Bun.sleep(5);
  }
  await Promise.all(reads);
  latencies.sort((a, b) => a - b);
  const round = (value: number) => Number(value.toFixed(2));
  return {
    requests: latencies.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies.at(-1) ?? 0),
  };
}

/** Lines a child prints, one at a time. */
async function* linesOf(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value);
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
    }
  }
}

export async function benchDetailedLoad(options: {
  sessions: number;
  keys: number;
  dashboards: number;
  seconds: number;
}) {
  const server = await startFootfall({
    MAX_ACTIVE_SESSIONS: String(options.sessions),
    MAX_TRACKED_KEYS: String(options.keys),
  });
  try {
    const fillStarted = performance.now();
    // A few more sessions than the cap, so it is full (the oldest are evicted).
    await fill(server.url, Math.ceil(options.sessions * 1.05), options.keys);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const baseline = await probeHealth(server.url, options.seconds);

    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "lib", "detailed-dashboards.ts"),
        `${server.url.replace("http", "ws")}/ws?token=${BENCH_TOKEN}`,
        String(options.dashboards),
        String(options.seconds),
        "600",
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
    );
    const lines = linesOf(child.stdout);
    const ready = (await lines.next()).value;
    if (ready !== "READY") throw new Error(`dashboards did not connect: ${ready}`);
    child.stdin.write("go\n");
    child.stdin.flush();
    const loaded = await probeHealth(server.url, options.seconds);
    const line = (await lines.next()).value;
    if (!line) throw new Error("the dashboards process printed no report");
    const report = JSON.parse(line) as Record<string, number>;
    await child.exited;
    return {
      active_sessions: options.sessions,
      tracked_keys: options.keys,
      fill_seconds: Number(fillSeconds.toFixed(1)),
      seconds: options.seconds,
      health_baseline: baseline,
      health_under_load: loaded,
      dashboards: report,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      sessions: { type: "string", default: "200000" },
      keys: { type: "string", default: "10000" },
      dashboards: { type: "string", default: "5" },
      seconds: { type: "string", default: "10" },
    },
  });
  console.log(
    JSON.stringify(
      await benchDetailedLoad({
        sessions: Number(values.sessions),
        keys: Number(values.keys),
        dashboards: Number(values.dashboards),
        seconds: Number(values.seconds),
      }),
      null,
      2,
    ),
  );
}
