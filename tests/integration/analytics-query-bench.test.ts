import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = mkdtempSync(join(tmpdir(), "footfall-bench-query-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// Tiny sizes, nothing judged: keeps the query benchmark (part 9 of `bun run bench`) from rotting.
test("the query benchmark runs in smoke mode and reports its latencies and the collect ratio", async () => {
  const child = Bun.spawn(
    [process.execPath, "bench/run.ts", "--smoke", "--only", "query", "--out", out],
    { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("POST /api/analytics/query");
  const { query } = JSON.parse(readFileSync(join(out, "smoke.json"), "utf8"));
  expect(query.all.queries).toBe(4 * 50);
  expect(query.all.p99_ms).toBeGreaterThan(0);
  expect(query.http.p99_ms).toBeGreaterThan(0);
  expect(query.collect_ratio_to_events.median).toBeGreaterThan(0);
}, 120_000);
