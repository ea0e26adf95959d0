/**
 * Parts 1, 2 and 7: ingestion throughput against a bare Bun.serve in the same run.
 *   bun bench/ingest.ts [--seconds 5] [--runs 3] [--connections 50] [--dashboards 100]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DashboardFleet } from "./lib/dashboard-process.ts";
import { runLoad } from "./lib/load.ts";
import {
  BENCH_TOKEN,
  type RunningProcess,
  startBareServer,
  startFootfall,
  startHttpStackServer,
  summarise,
} from "./lib/processes.ts";
import { prepareDatabase } from "./restart.ts";

export interface IngestOptions {
  seconds: number;
  runs: number;
  connections: number;
  dashboards: number;
}

/** A desktop browser's User-Agent: /api/collect drops a bot's (every HTTP library's) events. */
const BROWSER = {
  "user-agent":
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36",
};

/** Where part 1 posts, and how: the seed's answer, the minimal one, the tracker's endpoint. */
const SINGLE_EVENT_ROUTES = {
  events: { path: "/api/events", headers: undefined },
  events_minimal: { path: "/api/events", headers: { prefer: "return=minimal" } },
  collect: { path: "/api/collect", headers: BROWSER },
} as const;

async function footfallRun(
  options: IngestOptions,
  env: Record<string, string>,
  batch: number,
  route: { path: string; headers?: Record<string, string> } = SINGLE_EVENT_ROUTES.events,
  settle = false,
) {
  const server = await startFootfall(env);
  if (settle) await untilQuiet(server);
  const fleet =
    options.dashboards > 0
      ? await DashboardFleet.start(
          `${server.url.replace("http", "ws")}/ws?token=${BENCH_TOKEN}`,
          options.dashboards,
        )
      : undefined;
  try {
    const cpuBefore = server.cpuSeconds();
    const result = await runLoad({
      url: server.url,
      connections: options.connections,
      seconds: options.seconds,
      batch,
      path: route.path,
      headers: route.headers,
    });
    const cpuMicrosPerRequest = ((server.cpuSeconds() - cpuBefore) * 1e6) / result.requests;
    const status = (await (
      await fetch(`${server.url}/api/status?token=${BENCH_TOKEN}`)
    ).json()) as {
      data: { storage: { commit_ms_total: number; events_per_commit: number } };
    };
    // The share of the run the server spent committing: does the store keep up with HTTP?
    const commitShare = status.data.storage.commit_ms_total / (options.seconds * 1000);
    return {
      ...result,
      cpu_us_per_request: cpuMicrosPerRequest,
      commit_share: commitShare,
      events_per_commit: status.data.storage.events_per_commit,
    };
  } finally {
    await fleet?.stop();
    await server.stop();
  }
}

/** One event per request against a baseline server, which is stopped afterwards. */
async function loadAgainst(server: RunningProcess, options: IngestOptions) {
  try {
    const cpuBefore = server.cpuSeconds();
    const result = await runLoad({
      url: server.url,
      connections: options.connections,
      seconds: options.seconds,
    });
    const cpuMicrosPerRequest = ((server.cpuSeconds() - cpuBefore) * 1e6) / result.requests;
    return { ...result, cpu_us_per_request: cpuMicrosPerRequest };
  } finally {
    await server.stop();
  }
}

/**
 * Part 1: one event per request against a bare Bun.serve and Footfall's HTTP stack alone, in the
 * same round: /api/events with the seed's answer, with `Prefer: return=minimal`, and /api/collect
 * (enriched), each durable and fanned out to the dashboards. Besides throughput, the CPU time
 * the server process spent per request, which other processes' load moves far less.
 */
export async function benchSingleEvents(options: IngestOptions) {
  const samples: Record<string, number[]> = {};
  const add = (name: string, value: number) => {
    samples[name] ??= [];
    samples[name].push(value);
  };
  let tool = "";
  for (let run = 0; run < options.runs; run++) {
    const bare = await loadAgainst(await startBareServer(), options);
    const stack = await loadAgainst(await startHttpStackServer(), options);
    add("bare_requests_per_second", bare.requests_per_second);
    add("bare_cpu_us_per_request", bare.cpu_us_per_request);
    add("http_stack_requests_per_second", stack.requests_per_second);
    add("http_stack_ratio_to_bare", stack.requests_per_second / bare.requests_per_second);
    add("http_stack_cpu_us_per_request", stack.cpu_us_per_request);
    for (const [name, route] of Object.entries(SINGLE_EVENT_ROUTES)) {
      const result = await footfallRun(options, {}, 1, route);
      tool = result.tool;
      const prefix = name === "events" ? "footfall" : name;
      add(`${prefix}_requests_per_second`, result.requests_per_second);
      add(`${prefix}_ratio_to_bare`, result.requests_per_second / bare.requests_per_second);
      add(`${prefix}_cpu_us_per_request`, result.cpu_us_per_request);
      add(`${prefix}_p50_ms`, result.p50_ms);
      add(`${prefix}_p99_ms`, result.p99_ms);
      if (name === "events") {
        add("commit_share", result.commit_share);
        add("events_per_commit", result.events_per_commit);
      }
    }
  }
  const figures: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, values] of Object.entries(samples)) {
    figures[name] = summarise(values, /ratio|share/.test(name) ? 3 : name.endsWith("_ms") ? 2 : 1);
  }
  const { commit_share, footfall_ratio_to_bare, ...rest } = figures;
  return {
    tool,
    connections: options.connections,
    dashboards: options.dashboards,
    commit_share_of_time: commit_share,
    ...rest,
    ratio_to_bare: footfall_ratio_to_bare,
  };
}

/** Part 2: batches of 100 events. */
export async function benchBatches(options: IngestOptions) {
  const eventsPerSecond: number[] = [];
  const p99: number[] = [];
  const commitShare: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const result = await footfallRun({ ...options, dashboards: 0 }, {}, 100);
    eventsPerSecond.push(result.requests_per_second * 100);
    p99.push(result.p99_ms);
    commitShare.push(result.commit_share);
  }
  return {
    batch: 100,
    events_per_second: summarise(eventsPerSecond),
    p99_ms: summarise(p99, 2),
    commit_share_of_time: summarise(commitShare, 3),
  };
}

/** Part 7: the price of DURABILITY=strict (synchronous=FULL), one event per request and in batches. */
export async function benchDurability(options: IngestOptions) {
  const result: Record<string, unknown> = {};
  for (const durability of ["normal", "strict"]) {
    const single: number[] = [];
    const batched: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      single.push(
        (await footfallRun({ ...options, dashboards: 0 }, { DURABILITY: durability }, 1))
          .requests_per_second,
      );
      batched.push(
        (await footfallRun({ ...options, dashboards: 0 }, { DURABILITY: durability }, 100))
          .requests_per_second * 100,
      );
    }
    result[durability] = {
      single_requests_per_second: summarise(single),
      batch_events_per_second: summarise(batched),
    };
  }
  return result;
}

/**
 * The server counts as quiet after two windows of a second in a row under 50 ms of its CPU each
 * (idle, it uses ~10 ms a second): the catch-up runs on a one-second timer whose first turn comes
 * a second after the timers start, possibly after /health answers, so one short window can miss it.
 */
const QUIET_WINDOW_MS = 1_000;
const QUIET_WINDOWS = 2;
const QUIET_CPU_SECONDS = 0.05;

/**
 * Waits (at most 60 s) until the server's own CPU is quiet: its start-up catch-up is done. On a
 * database of 1,000,000 events over 100,000 live sessions, the server, once healthy, writes every
 * live session's visit row (~1.2 s of CPU) and, when `query_events` lags the log (this bench
 * writes the events straight into `events`), copies the log into it (~2.6 s for 1,000,000 events),
 * both in slices on the one-second timer: ~3-4 s of CPU within ~5 s of /health here. A cost once
 * per start, not per event; measured inside the 5 s of load it made the ratio ~0.45 (~290 against
 * ~78 us of the server's CPU a request).
 */
async function untilQuiet(server: RunningProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let quiet = 0; quiet < QUIET_WINDOWS && Date.now() < deadline; ) {
    const before = server.cpuSeconds();
    await Bun.sleep(QUIET_WINDOW_MS);
    quiet = server.cpuSeconds() - before < QUIET_CPU_SECONDS ? quiet + 1 : 0;
  }
}

/**
 * Throughput as data grows: one event per request on an empty store, then with `stored` events.
 * Both servers are measured once quiet (untilQuiet): the figure is steady ingestion with that
 * much data stored, not the start-up catch-up, whose cost untilQuiet's comment gives.
 */
export async function benchGrowth(options: IngestOptions & { stored: number }) {
  const empty: number[] = [];
  const full: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), "footfall-bench-growth-"));
  try {
    prepareDatabase(dir, options.stored, Math.min(100_000, options.stored));
    for (let run = 0; run < options.runs; run++) {
      const events = SINGLE_EVENT_ROUTES.events;
      const settled = (env: Record<string, string>) =>
        footfallRun({ ...options, dashboards: 0 }, env, 1, events, true);
      empty.push((await settled({})).requests_per_second);
      full.push((await settled({ DATA_DIR: dir })).requests_per_second);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    stored_events: options.stored,
    empty_requests_per_second: summarise(empty),
    full_requests_per_second: summarise(full),
    ratio_full_to_empty: summarise(
      full.map((value, index) => value / (empty[index] as number)),
      3,
    ),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      connections: { type: "string", default: "50" },
      dashboards: { type: "string", default: "100" },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    connections: Number(values.connections),
    dashboards: Number(values.dashboards),
  };
  console.log(JSON.stringify({ single: await benchSingleEvents(options) }, null, 2));
  console.log(JSON.stringify({ batches: await benchBatches(options) }, null, 2));
  console.log(JSON.stringify({ durability: await benchDurability(options) }, null, 2));
}
