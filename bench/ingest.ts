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

async function footfallRun(options: IngestOptions, env: Record<string, string>, batch: number) {
  const server = await startFootfall(env);
  const fleet =
    options.dashboards > 0
      ? await DashboardFleet.start(
          `${server.url.replace("http", "ws")}/ws?token=${BENCH_TOKEN}`,
          options.dashboards,
        )
      : undefined;
  try {
    const result = await runLoad({
      url: server.url,
      connections: options.connections,
      seconds: options.seconds,
      batch,
    });
    const status = (await (
      await fetch(`${server.url}/api/status?token=${BENCH_TOKEN}`)
    ).json()) as {
      data: { storage: { commit_ms_total: number; events_per_commit: number } };
    };
    // The share of the run the server spent committing: does the store keep up with HTTP?
    const commitShare = status.data.storage.commit_ms_total / (options.seconds * 1000);
    return {
      ...result,
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
    return await runLoad({
      url: server.url,
      connections: options.connections,
      seconds: options.seconds,
    });
  } finally {
    await server.stop();
  }
}

/** Part 1: one event per request, Footfall (validation, sessions, group commit, fan-out) vs bare. */
export async function benchSingleEvents(options: IngestOptions) {
  const bare: number[] = [];
  const stack: number[] = [];
  const footfall: number[] = [];
  const ratios: number[] = [];
  const stackRatios: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  const commitShare: number[] = [];
  const perCommit: number[] = [];
  let tool = "";
  for (let run = 0; run < options.runs; run++) {
    const bareResult = await loadAgainst(await startBareServer(), options);
    const stackResult = await loadAgainst(await startHttpStackServer(), options);
    const result = await footfallRun(options, {}, 1);
    tool = result.tool;
    bare.push(bareResult.requests_per_second);
    stack.push(stackResult.requests_per_second);
    footfall.push(result.requests_per_second);
    ratios.push(result.requests_per_second / bareResult.requests_per_second);
    stackRatios.push(stackResult.requests_per_second / bareResult.requests_per_second);
    p50.push(result.p50_ms);
    p99.push(result.p99_ms);
    commitShare.push(result.commit_share);
    perCommit.push(result.events_per_commit);
  }
  return {
    tool,
    commit_share_of_time: summarise(commitShare, 3),
    events_per_commit: summarise(perCommit, 1),
    connections: options.connections,
    dashboards: options.dashboards,
    bare_requests_per_second: summarise(bare),
    http_stack_requests_per_second: summarise(stack),
    http_stack_ratio_to_bare: summarise(stackRatios, 3),
    footfall_requests_per_second: summarise(footfall),
    footfall_p50_ms: summarise(p50, 2),
    footfall_p99_ms: summarise(p99, 2),
    ratio_to_bare: summarise(ratios, 3),
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

/** Throughput as data grows: one event per request on an empty store, then with `stored` events. */
export async function benchGrowth(options: IngestOptions & { stored: number }) {
  const empty: number[] = [];
  const full: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), "footfall-bench-growth-"));
  try {
    prepareDatabase(dir, options.stored, Math.min(100_000, options.stored));
    for (let run = 0; run < options.runs; run++) {
      empty.push((await footfallRun({ ...options, dashboards: 0 }, {}, 1)).requests_per_second);
      full.push(
        (await footfallRun({ ...options, dashboards: 0 }, { DATA_DIR: dir }, 1))
          .requests_per_second,
      );
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
