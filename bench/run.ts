/**
 * The whole benchmark suite, each part also runnable alone (bench/ingest.ts, fanout.ts, scale.ts,
 * restart.ts, detailed-load.ts, middleware-cost.ts, cluster.ts). Every throughput is a ratio or a median of several runs with its spread, measured
 * in one run on this machine; the load generators run in their own processes.
 *
 *   bun run bench                 full sizes; writes bench/results/latest.json and BENCHMARKS.md
 *   bun run bench -- --smoke      tiny sizes, nothing judged (CI runs this so the suite never rots)
 *   bun run bench -- --only ingest,fanout,query
 *   bun run bench -- --render     rewrites BENCHMARKS.md from bench/results/latest.json (after editing notes.md)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchCluster } from "./cluster.ts";
import { benchDetailedLoad } from "./detailed-load.ts";
import { benchFanOut } from "./fanout.ts";
import { benchBatches, benchDurability, benchGrowth, benchSingleEvents } from "./ingest.ts";
import { hasWrk } from "./lib/load.ts";
import { ROOT } from "./lib/processes.ts";
import { benchMiddlewareCost } from "./middleware-cost.ts";
import { benchQuery } from "./query.ts";
import { type Results, renderMarkdown } from "./report.ts";
import { benchRestart } from "./restart.ts";
import { benchScale } from "./scale.ts";
import { benchStages } from "./stages.ts";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    render: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
if (values.render) {
  const latest = JSON.parse(
    readFileSync(join(ROOT, "bench", "results", "latest.json"), "utf8"),
  ) as Results;
  writeBenchmarksMarkdown(renderMarkdown(latest));
  process.exit(0);
}

const smoke = values.smoke === true;
const only = values.only?.split(",");
const wanted = (part: string) => !only || only.includes(part);
const sizes = smoke
  ? {
      seconds: 1,
      runs: 1,
      connections: 8,
      dashboards: 5,
      fanoutDashboards: 20,
      rates: [50],
      stored: 2000,
      events: 2000,
      sessions: 200,
      reads: 5,
      idleSeconds: 1,
      cappedSessions: 2000,
      cappedKeys: 200,
    }
  : {
      seconds: 5,
      runs: 3,
      connections: 50,
      dashboards: 100,
      fanoutDashboards: 1000,
      rates: [100, 500, 1000],
      stored: 1_000_000,
      events: 1_000_000,
      sessions: 100_000,
      reads: 1000,
      idleSeconds: 30,
      cappedSessions: 200_000,
      cappedKeys: 10_000,
    };

const results: Results = {
  date: new Date().toISOString(),
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
  },
  load_generator: hasWrk ? "wrk (Debian)" : "Bun (bench/lib/load-generator.ts)",
  smoke,
};
const ingestOptions = {
  seconds: sizes.seconds,
  runs: sizes.runs,
  connections: sizes.connections,
  dashboards: sizes.dashboards,
};
const step = async (name: string, run: () => Promise<unknown>) => {
  if (!wanted(name.split(".")[0] as string)) return;
  console.error(`bench: ${name} ...`);
  const started = performance.now();
  results[name] = await run();
  console.error(`bench: ${name} done in ${Math.round((performance.now() - started) / 1000)} s`);
};

await step("ingest.single", () => benchSingleEvents(ingestOptions));
await step("ingest.batch", () =>
  benchBatches({ ...ingestOptions, connections: Math.min(20, sizes.connections) }),
);
await step("stages", async () =>
  benchStages({ events: Math.min(100_000, sizes.events), runs: sizes.runs }),
);
await step("middleware", () =>
  benchMiddlewareCost({ requests: smoke ? 200 : 3000, rounds: smoke ? 1 : 15 }),
);
await step("fanout", () =>
  benchFanOut({ dashboards: sizes.fanoutDashboards, rates: sizes.rates, seconds: sizes.seconds }),
);
await step("scale", () =>
  benchScale({
    events: sizes.events,
    sessions: sizes.sessions,
    reads: sizes.reads,
    rounds: sizes.runs,
    idleSeconds: sizes.idleSeconds,
  }),
);
await step("restart", () =>
  benchRestart({ events: sizes.events, sessions: sizes.sessions, runs: sizes.runs }),
);
await step("detailed", () =>
  benchDetailedLoad({
    sessions: sizes.cappedSessions,
    keys: sizes.cappedKeys,
    dashboards: 5,
    seconds: smoke ? 1 : 10,
  }),
);
await step("query", () =>
  benchQuery({
    events: sizes.events,
    sites: 50,
    rounds: smoke ? 1 : 5,
    seconds: sizes.seconds,
    runs: sizes.runs,
    connections: sizes.connections,
  }),
);
await step("cluster", () =>
  benchCluster({
    seconds: sizes.seconds,
    runs: sizes.runs,
    connections: sizes.connections,
    lagSeconds: smoke ? 1 : 10,
    lagRate: smoke ? 200 : 1000,
  }),
);
await step("ingest.durability", () => benchDurability(ingestOptions));
await step("ingest.growth", () => benchGrowth({ ...ingestOptions, stored: sizes.stored }));

const outDir = values.out ?? join(ROOT, "bench", "results");
mkdirSync(outDir, { recursive: true });
const resultsFile = join(outDir, smoke ? "smoke.json" : "latest.json");
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const markdown = renderMarkdown(results);
if (!smoke && !only) {
  writeBenchmarksMarkdown(markdown);
  formatForBiome(resultsFile);
}
console.log(markdown);

function writeBenchmarksMarkdown(markdown: string): void {
  writeFileSync(join(ROOT, "BENCHMARKS.md"), markdown);
  formatForBiome(join(ROOT, "BENCHMARKS.md"));
}

/** Generated files that are committed are kept in the formatting `biome check` expects. */
function formatForBiome(file: string): void {
  Bun.spawnSync([join(ROOT, "node_modules", ".bin", "biome"), "format", "--write", file]);
}
