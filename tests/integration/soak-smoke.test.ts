import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_COLUMNS } from "../../scripts/soak/sampler.ts";

describe("bun run soak, briefly", () => {
  const dir = mkdtempSync(join(tmpdir(), "footfall-soak-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a six-second soak against its own server passes and writes a CSV with a row per sample", async () => {
    const csv = join(dir, "soak.csv");
    const child = Bun.spawn(
      [
        process.execPath,
        "scripts/soak.ts",
        "--duration",
        "6",
        "--sample-every",
        "2",
        "--rate",
        "100",
        "--dashboards",
        "3",
        "--csv",
        csv,
      ],
      { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
    );
    const [code, stdout, stderr] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    if (code !== 0) console.error(stdout, stderr);
    expect(code).toBe(0);
    expect(stdout).toContain("soak passed");
    expect(stdout).toContain(`CSV: ${csv}`);

    const [header, ...rows] = readFileSync(csv, "utf8").trim().split("\n");
    expect(header).toBe(CSV_COLUMNS.join(","));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const acked = CSV_COLUMNS.indexOf("events_acked");
    expect(Number(rows.at(-1)?.split(",")[acked])).toBeGreaterThan(0);
  }, 60_000);
});
