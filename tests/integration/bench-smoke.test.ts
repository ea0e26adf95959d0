import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = mkdtempSync(join(tmpdir(), "footfall-bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `bun run bench -- --smoke --only <parts>`, its results written to a directory of its own. */
async function benchSmoke(parts: string) {
  const dir = join(out, parts.replace(/,/g, "-"));
  const child = Bun.spawn(
    [process.execPath, "bench/run.ts", "--smoke", "--only", parts, "--out", dir],
    { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("| Part | Figure | Target |");
  return JSON.parse(readFileSync(join(dir, "smoke.json"), "utf8"));
}

// Tiny sizes, nothing judged: this only keeps the benchmark suite from rotting. The ingestion
// parts and the rest run side by side, as most of each is waiting out its timed runs.
test("the benchmark suite runs end to end in smoke mode and reports every part", async () => {
  const [ingest, rest, cluster] = await Promise.all([
    benchSmoke("ingest"),
    benchSmoke("stages,fanout,scale,restart,detailed"),
    benchSmoke("cluster"),
  ]);
  const results = { ...ingest, ...rest, ...cluster };
  for (const part of [
    "ingest.single",
    "ingest.batch",
    "stages",
    "fanout",
    "scale",
    "restart",
    "detailed",
    "ingest.durability",
    "ingest.growth",
    "cluster",
  ]) {
    expect(results).toHaveProperty([part]);
  }
  expect(results["ingest.single"].ratio_to_bare.median).toBeGreaterThan(0);
  expect(results["ingest.single"].http_stack_ratio_to_bare.median).toBeGreaterThan(0);
  expect(results.stages.micros_per_event.total.median).toBeGreaterThan(0);
  expect(results.fanout.rates[0].delivered_share).toBe(1);
  expect(results.scale.active_sessions).toBe(200);
  expect(results.detailed.dashboards.answers).toBeGreaterThan(0);
  expect(results.detailed.health_under_load.p99_ms).toBeGreaterThan(0);
  // Without redis-server or Postgres the cluster part says so (CI installs both).
  if (!results.cluster.skipped) {
    expect(results.cluster.throughput.ratio_cluster_to_single.median).toBeGreaterThan(0);
    expect(results.cluster.lag.framed_on_b).toBe(results.cluster.lag.acknowledged);
    expect(results.cluster.model.map((size: { instances: number }) => size.instances)).toEqual([
      1, 2, 4, 8,
    ]);
  }
}, 180_000);
