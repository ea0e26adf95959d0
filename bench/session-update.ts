/**
 * In-process µs an event of the live sessions' update: the session tracker's `touch` and the last
 * minute's window of sessions seen (old trees: their `DistinctWindow` beside the tracker), and
 * the whole live store's `apply`, over bench events (100,000 sessions), in interleaved rounds of
 * this tree and another (`--root`, a `git worktree` of an older commit); medians and ranges.
 *   bun bench/session-update.ts [--events 300000] [--sessions 100000] [--rounds 5] [--root <tree>]
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { median } from "./lib/processes.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "300000" },
    sessions: { type: "string", default: "100000" },
    rounds: { type: "string", default: "5" },
    root: { type: "string" },
    /** Only the tracker (for a profile of it alone). */
    "sessions-only": { type: "boolean", default: false },
  },
});
const count = Number(values.events);
const trees = [resolve(import.meta.dir, ".."), ...(values.root ? [resolve(values.root)] : [])];

interface Tree {
  root: string;
  sessionsOnly(): () => void;
  store(): () => void;
}

async function load(root: string): Promise<Tree> {
  const { SessionTracker } = await import(join(root, "services/session-tracker.ts"));
  const windows = await import(join(root, "services/sliding-windows.ts"));
  const { AnalyticsStore } = await import(join(root, "services/analytics-store.ts"));
  const { ManualClock } = await import(join(root, "services/clock.ts"));
  const { toVisitorEvent } = await import(join(root, "services/event-normalizer.ts"));
  const { readEvents } = await import(join(root, "routes/events.ts"));
  const { loadConfig } = await import(join(root, "config/index.ts"));
  const config = loadConfig({ API_TOKEN: "bench-token-0123456789", DATA_DIR: "/tmp" });
  const validate = readEvents(config.limits);
  const start = Date.UTC(2026, 0, 1, 12);
  const events: unknown[] = [];
  for (let from = 0; from < count; from += 500) {
    const batch = [];
    for (let index = from; index < Math.min(count, from + 500); index++)
      batch.push(sampleEvent(index, Number(values.sessions)));
    for (const input of validate(batch, 0).inputs) events.push(toVisitorEvent(input, start));
  }
  // One event a millisecond: the minute's window slides, no session times out.
  const timeOf = (index: number) => start + index;
  const hasOwnWindow = !("seenCount" in SessionTracker.prototype);
  return {
    root,
    sessionsOnly() {
      const tracker = new SessionTracker({
        timeoutMs: 30 * 60_000,
        maxSessions: 200_000,
        onEnded() {},
      });
      const window = hasOwnWindow ? new windows.DistinctWindow(60_000, 200_000) : undefined;
      return () => {
        for (let index = 0; index < events.length; index++) {
          const event = events[index] as { session_id: string; type: string };
          const now = timeOf(index);
          if (window && event.type !== "session_end") window.touch(event.session_id, now);
          tracker.touch(event, now);
        }
      };
    },
    store() {
      const clock = new ManualClock(start);
      const store = new AnalyticsStore(clock, {
        sessionTimeoutMs: 30 * 60_000,
        maxActiveSessions: 200_000,
        maxTrackedKeys: 1_000_000,
      });
      return () => {
        for (let index = 0; index < events.length; index++) {
          const now = timeOf(index);
          clock.set(now);
          const step = {
            now,
            committed: { position: index + 1, event: events[index] },
            ended: [],
            alerts: [],
          };
          store.apply(step);
        }
      };
    },
  };
}

const loaded = await Promise.all(trees.map(load));
const results: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const tree of loaded) {
    for (const kind of values["sessions-only"]
      ? (["sessionsOnly"] as const)
      : (["sessionsOnly", "store"] as const)) {
      const run = tree[kind]();
      Bun.gc(true);
      const before = process.cpuUsage();
      const started = performance.now();
      run();
      const wall = performance.now() - started;
      const used = process.cpuUsage(before);
      results[tree.root] ??= {};
      const perTree = results[tree.root] as Record<string, number[]>;
      perTree[kind] ??= [];
      // CPU time of every thread (the collector's and the compiler's included), and wall time.
      perTree[kind].push((used.user + used.system) / count);
      perTree[`${kind}Wall`] ??= [];
      perTree[`${kind}Wall`]?.push((wall * 1000) / count);
    }
  }
}
const summary = (list: number[]) => ({
  median: Number(median(list).toFixed(3)),
  range: [Math.min(...list), Math.max(...list)].map((value) => Number(value.toFixed(3))),
});
console.log(
  JSON.stringify(
    Object.fromEntries(
      Object.entries(results).map(([root, kinds]) => [
        root,
        {
          sessions_cpu_us_per_event: summary(kinds.sessionsOnly ?? []),
          sessions_wall_us_per_event: summary(kinds.sessionsOnlyWall ?? []),
          store_cpu_us_per_event: summary(kinds.store ?? []),
          store_wall_us_per_event: summary(kinds.storeWall ?? []),
        },
      ]),
    ),
    null,
    2,
  ),
);
