/**
 * A soak: steady mixed traffic and live dashboards against one Footfall for a long while, sampling
 * memory, /health latency and the database, and failing when something grows without bound.
 *
 *   bun run soak -- [--rate 300] [--duration 600] [--dashboards 20] [--sample-every 10]
 *                   [--csv bench/results/soak-<time>.csv] [--snapshot-every 10] [--seed 1]
 *                   [--url http://host:3000 --token <API token> [--data-dir <its DATA_DIR>]]
 *
 * Without --url it starts its own server (`bun index.ts`) on a free port and a temporary DATA_DIR,
 * with RATE_LIMIT_PER_MINUTE=0, an ALERT_THRESHOLD no run reaches and a snapshot every 10 s. Exit 1
 * when a check fails (see soak/verdict.ts); the data directory is then kept for a look.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_TOKEN, ROOT, startFootfall } from "../bench/lib/processes.ts";
import { Dashboards } from "./soak/dashboards.ts";
import {
  csvHeader,
  csvRow,
  databaseFigures,
  HealthProbe,
  rssOfPid,
  type Sample,
  sampleOf,
  serverMemory,
} from "./soak/sampler.ts";
import { Traffic } from "./soak/traffic.ts";
import { type Check, judge } from "./soak/verdict.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    token: { type: "string", default: process.env.API_TOKEN },
    "data-dir": { type: "string" },
    rate: { type: "string", default: "300" },
    duration: { type: "string", default: "600" },
    dashboards: { type: "string", default: "20" },
    "sample-every": { type: "string", default: "10" },
    "snapshot-every": { type: "string", default: "10" },
    csv: { type: "string" },
    seed: { type: "string", default: "1" },
  },
});
const numbers = {
  rate: Number(values.rate),
  duration: Number(values.duration),
  dashboards: Number(values.dashboards),
  "sample-every": Number(values["sample-every"]),
  "snapshot-every": Number(values["snapshot-every"]),
  seed: Number(values.seed),
};
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && name !== "dashboards")) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
}
if (values.url && !values.token) {
  console.error("--url needs --token (or API_TOKEN in the environment) to read /api/status");
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const csvPath = values.csv ?? join(ROOT, "bench", "results", `soak-${stamp}.csv`);
mkdirSync(dirname(csvPath), { recursive: true });
writeFileSync(csvPath, csvHeader());

// The server: our own, or the one at --url.
const ownDataDir = values.url ? undefined : mkdtempSync(join(tmpdir(), "footfall-soak-"));
const server = values.url
  ? undefined
  : await startFootfall({
      DATA_DIR: ownDataDir as string,
      ALERT_THRESHOLD: "10000000",
      SNAPSHOT_INTERVAL_SECONDS: String(numbers["snapshot-every"]),
    });
const url = (values.url ?? server?.url ?? "").replace(/\/$/, "");
const token = values.token ?? BENCH_TOKEN;
const dataDir = ownDataDir ?? values["data-dir"];
let crashed: string | undefined;
void server?.child.exited.then((code) => {
  crashed ??= `the server exited with ${code} during the run`;
});

console.log(
  `soak: ${numbers.rate} events/s for ${numbers.duration} s with ${numbers.dashboards} dashboards against ${url}` +
    `${dataDir ? ` (DATA_DIR ${dataDir})` : ""}, a sample every ${numbers["sample-every"]} s`,
);
const dashboards = await Dashboards.connect(
  `${url.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}`,
  numbers.dashboards,
);
const traffic = new Traffic(`${url}/api/events`, numbers.rate, numbers.seed);
const health = new HealthProbe(url);
const samples: Sample[] = [];
const started = performance.now();
traffic.start();

async function takeSample(): Promise<Sample> {
  const memory = await serverMemory(url, token);
  const rss = server?.child.pid ? (rssOfPid(server.child.pid) ?? memory.rss) : memory.rss;
  return sampleOf({
    elapsedMs: performance.now() - started,
    rss,
    heapUsed: memory.heap_used,
    heapTotal: memory.heap_total,
    health: health.take(),
    db: dataDir ? databaseFigures(dataDir) : undefined,
    sent: traffic.totals.sent,
    acked: traffic.totals.acknowledged,
    failed: traffic.totals.failed,
    frames: dashboards.frames,
    dashboardsOpen: dashboards.openCount,
  });
}

let unanswered = 0;
for (let index = 1; index * numbers["sample-every"] <= numbers.duration; index++) {
  const wait = started + index * numbers["sample-every"] * 1000 - performance.now();
  await Bun.sleep(Math.max(0, wait));
  if (crashed) break;
  try {
    const sample = await takeSample();
    unanswered = 0;
    samples.push(sample);
    appendFileSync(csvPath, csvRow(sample));
    console.log(
      `${sample.elapsed_s} s: RSS ${sample.rss_mb} MB, heap ${sample.heap_used_mb} MB, health p99 ${sample.health_p99_ms} ms, ` +
        `DB ${sample.db_mb ?? "?"}+${sample.wal_mb ?? "?"} MB, ${sample.events_acked} events acked, ${sample.frames} frames`,
    );
  } catch (error) {
    // A server that misses three samples in a row is down, whoever started it.
    if (++unanswered >= 3) crashed ??= `the server stopped answering (${(error as Error).message})`;
    console.error(`sample missed: ${(error as Error).message}`);
    if (crashed) break;
  }
}

await traffic.stop();
health.stop();
const snapshotRows = dataDir && !crashed ? databaseFigures(dataDir).snapshots : null;
dashboards.close();
const checks: Check[] = judge({
  samples,
  crashed,
  failed: traffic.totals.failed,
  failures: traffic.totals.failures,
  disconnects: dashboards.disconnects,
  snapshotRows,
});
if (server && !crashed) {
  server.child.kill("SIGTERM");
  const code = await server.child.exited;
  checks.push({ name: "clean shutdown", ok: code === 0, detail: `exit code ${code} on SIGTERM` });
}

// The summary.
const first = samples[0];
const last = samples.at(-1);
const max = (value: (sample: Sample) => number) => Math.max(0, ...samples.map(value));
const dbOf = (sample?: Sample) =>
  sample?.db_mb == null ? "?" : (sample.db_mb + (sample.wal_mb ?? 0)).toFixed(2);
const rows: [string, string, string, string][] = [
  ["", "start", "end", "max"],
  ["RSS (MB)", `${first?.rss_mb ?? "?"}`, `${last?.rss_mb ?? "?"}`, `${max((s) => s.rss_mb)}`],
  [
    "heap used (MB)",
    `${first?.heap_used_mb ?? "?"}`,
    `${last?.heap_used_mb ?? "?"}`,
    `${max((s) => s.heap_used_mb)}`,
  ],
  ["DB + WAL (MB)", dbOf(first), dbOf(last), ""],
  ["health p99 (ms)", `${first?.health_p99_ms ?? "?"}`, "", `${max((s) => s.health_p99_ms)}`],
];
console.log("");
for (const row of rows)
  console.log(
    `${row[0].padEnd(18)}${row[1].padStart(10)}${row[2].padStart(10)}${row[3].padStart(10)}`,
  );
const { sent, acknowledged, failed, rateLimited } = traffic.totals;
console.log(
  `events: ${sent} sent, ${acknowledged} acknowledged, ${failed} failed, ${rateLimited} refused with 429`,
);
console.log(
  `dashboards: ${dashboards.frames} frames, ${dashboards.detailedStats} detailed_stats answers, ${dashboards.errorFrames} error frames`,
);
console.log("");
for (const check of checks) {
  const mark = check.ok === undefined ? "SKIP" : check.ok ? "ok  " : "FAIL";
  console.log(`${mark} ${check.name}: ${check.detail}`);
}
console.log(`\nCSV: ${csvPath}`);
const failedChecks = checks.filter((check) => check.ok === false);
if (failedChecks.length > 0) {
  console.error(`\nsoak failed: ${failedChecks.map((check) => check.name).join(", ")}`);
  if (ownDataDir) console.error(`the server's data directory is kept: ${ownDataDir}`);
  process.exit(1);
}
if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
console.log("soak passed");
process.exit(0);
