/**
 * The live heap of the server's state after a burst, counted by object type: 1,000,000 bench
 * events over 100,000 sessions applied in-process in commits of 1,000 (the event loop turning
 * between them), then two full collections. Prints the heap, the RSS and the commonest types.
 *   bun bench/session-heap.ts [--events 1000000] [--sessions 100000] [--root <tree>]
 * `--root` runs another tree's server (a `git worktree` of an older commit) for a before/after.
 */

import { heapStats } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN } from "./lib/processes.ts";

const COMMIT = 1_000;
const MB = 2 ** 20;

function settle() {
  Bun.gc(true);
  Bun.gc(true);
  const stats = heapStats();
  return { stats, rss: process.memoryUsage().rss };
}

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    sessions: { type: "string", default: "100000" },
    root: { type: "string", default: resolve(import.meta.dir, "..") },
    /** Also the heap snapshot's bytes by kind of cell (plain objects by their property names). */
    shapes: { type: "boolean", default: false },
    /** Then this many snapshots in turns, with the longest event-loop block while they run. */
    snapshots: { type: "string", default: "0" },
  },
});
const root = resolve(values.root as string);
const { loadConfig } = await import(join(root, "config/index.ts"));
const { startServer } = await import(join(root, "server.ts"));
const { toVisitorEvent } = await import(join(root, "services/event-normalizer.ts"));
const { readEvents } = await import(join(root, "routes/events.ts"));

const dataDir = mkdtempSync(join(tmpdir(), "footfall-bench-heap-"));
const config = loadConfig({
  PORT: "0",
  HOST: "127.0.0.1",
  DATA_DIR: dataDir,
  API_TOKEN: BENCH_TOKEN,
  LOG_LEVEL: "silent",
  MAX_ACTIVE_SESSIONS: "200000",
  // Snapshots would hold their parts while counted; the burst's state is what is measured.
  SNAPSHOT_INTERVAL_SECONDS: "3600",
});
const running = startServer(config);
const { services } = running;
const empty = settle();
const validate = readEvents(config.limits);
const events = Number(values.events);
const sessions = Number(values.sessions);
const started = performance.now();
for (let from = 0; from < events; from += COMMIT) {
  const batch = [];
  for (let index = from; index < Math.min(events, from + COMMIT); index++)
    batch.push(sampleEvent(index, sessions));
  // A request holds at most 500 events; a commit takes two.
  const inputs = [
    ...validate(batch.slice(0, 500), 0).inputs,
    ...validate(batch.slice(500), 0).inputs,
  ];
  const now = Date.now();
  void services.database.log.append(
    inputs.map((input: unknown) => toVisitorEvent(input, now)),
    now,
  );
  services.database.log.commit();
  await new Promise((done) => setImmediate(done));
}
const seconds = (performance.now() - started) / 1000;
// What one full collection right after the burst costs and gives back.
const rssBurst = process.memoryUsage().rss;
const gcStarted = performance.now();
Bun.gc(true);
const gcMs = performance.now() - gcStarted;
const rssAfterOneGc = process.memoryUsage().rss;
const full = settle();
const typeCounts = Object.entries(full.stats.objectTypeCounts as Record<string, number>)
  .map(
    ([type, count]) =>
      [
        type,
        count - ((empty.stats.objectTypeCounts as Record<string, number>)[type] ?? 0),
      ] as const,
  )
  .filter(([, count]) => count >= 1_000)
  .sort((a, b) => b[1] - a[1]);
console.log(
  JSON.stringify(
    {
      ...(values.shapes ? { bytes_by_shape: bytesByShape() } : {}),
      root,
      events,
      active_sessions: services.live.status().active_sessions.count,
      apply_seconds: Number(seconds.toFixed(1)),
      heap_empty_mb: Number((empty.stats.heapSize / MB).toFixed(1)),
      heap_mb: Number((full.stats.heapSize / MB).toFixed(1)),
      objects: full.stats.objectCount - empty.stats.objectCount,
      rss_empty_mb: Number((empty.rss / MB).toFixed(1)),
      rss_after_burst_mb: Number((rssBurst / MB).toFixed(1)),
      one_full_gc_ms: Number(gcMs.toFixed(1)),
      rss_after_one_gc_mb: Number((rssAfterOneGc / MB).toFixed(1)),
      rss_mb: Number((full.rss / MB).toFixed(1)),
      objects_by_type: Object.fromEntries(typeCounts),
    },
    null,
    2,
  ),
);
const snapshotRuns = Number(values.snapshots);
if (snapshotRuns > 0) console.log(JSON.stringify(await snapshotBlocks(snapshotRuns)));
await running.shutdown();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);

/** Self bytes and counts of the heap's cells grouped by class, plain objects by their keys. */
function bytesByShape(): Record<string, { count: number; mb: number }> {
  const snapshot = Bun.generateHeapSnapshot() as unknown as {
    nodes: number[];
    nodeClassNames: string[];
    edges: number[];
    edgeTypes: string[];
    edgeNames: string[];
  };
  const { nodes, nodeClassNames, edges, edgeTypes, edgeNames } = snapshot;
  const propertyType = edgeTypes.indexOf("Property");
  const keysOf = new Map<number, string[]>();
  for (let at = 0; at < edges.length; at += 4) {
    if (edges[at + 2] !== propertyType) continue;
    const from = edges[at] as number;
    const keys = keysOf.get(from) ?? [];
    keysOf.set(from, keys);
    keys.push(edgeNames[edges[at + 3] as number] as string);
  }
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let at = 0; at < nodes.length; at += 4) {
    const className = nodeClassNames[nodes[at + 2] as number] as string;
    const keys = className === "Object" ? keysOf.get(nodes[at] as number) : undefined;
    const name = keys ? `Object{${keys.sort().slice(0, 8).join(",")}}` : className;
    const group = groups.get(name) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[at + 1] as number;
    groups.set(name, group);
  }
  return Object.fromEntries(
    [...groups]
      .filter(([, group]) => group.bytes >= 256 * 1024)
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .map(([name, group]) => [
        name,
        { count: group.count, mb: Number((group.bytes / MB).toFixed(2)) },
      ]),
  );
}

/** Snapshots in turns, one after the other: each one's time and the longest gap of a 1 ms timer. */
async function snapshotBlocks(runs: number) {
  const blocks: number[] = [];
  const durations: number[] = [];
  for (let run = 0; run < runs; run++) {
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const started = performance.now();
    await services.saveSnapshotInTurns();
    durations.push(performance.now() - started);
    clearInterval(timer);
    blocks.push(longest);
  }
  const round = (list: number[]) => list.map((value) => Number(value.toFixed(1)));
  return { snapshot_ms: round(durations), longest_block_ms: round(blocks) };
}
