/**
 * The projections' and the fan-out's cost per event, in-process: the bench's events, committed in
 * groups of 100 at `--rate` events a second of event time, applied to fresh projections (the live
 * store, the visits' roll-up, the compatibility counters, the alert detector), alone and with the
 * realtime hub fanning out to `--dashboards` coalescing dashboards (fake sockets; one frame to a
 * topic is what Bun's publish gets) flushed every 50 ms of event time. The session tracker alone
 * is timed too, for its share of the live store, and the projections with the seed's answer read
 * after each group (as POST /api/events answers a batch) or after each event (one a request). CPU µs per event (process.cpuUsage), medians
 * over rounds; with `--trees`, every configuration runs against each working tree in turn within
 * each round, in this one process (a before and an after checked out side by side).
 *   bun bench/projections.ts [--events 100000] [--sessions 100000] [--rounds 5] [--rate 4000]
 *                            [--dashboards 100] [--trees /tmp/before,/work/main]
 *                            [--only store,projections_and_answers,...]
 */
import { parseArgs } from "node:util";
import type { VisitorEvent } from "../interfaces/analytics.ts";
import { eventInputSchema } from "../schemas/event.ts";
import { toVisitorEvent } from "../services/event-normalizer.ts";
import { sampleEvent } from "./lib/events.ts";
import { ROOT, summarise } from "./lib/processes.ts";

const GROUP = 100;
const TICK_MS = 50;
const SESSION_TIMEOUT_MS = 30 * 60_000;

type Committed = { position: number; event: VisitorEvent; receivedAt: number };

/** What one tree's modules give to build the projections and the hub. */
async function modulesOf(tree: string) {
  const [store, rollup, compat, alerts, pipeline, hub, tracker, clock] = await Promise.all([
    import(`${tree}/services/analytics-store.ts`),
    import(`${tree}/services/visit-rollup.ts`),
    import(`${tree}/services/compat-counters.ts`),
    import(`${tree}/services/alert-detector.ts`),
    import(`${tree}/services/pipeline/pipeline.ts`),
    import(`${tree}/services/realtime-hub.ts`),
    import(`${tree}/services/session-tracker.ts`),
    import(`${tree}/services/clock.ts`),
  ]);
  return { store, rollup, compat, alerts, pipeline, hub, tracker, clock };
}
type Modules = Awaited<ReturnType<typeof modulesOf>>;

function eventsOf(count: number, sessions: number, rate: number, start: number): Committed[][] {
  const groups: Committed[][] = [];
  for (let first = 0; first < count; first += GROUP) {
    const receivedAt = start + Math.floor((first / rate) * 1000);
    const group: Committed[] = [];
    for (let index = first; index < Math.min(count, first + GROUP); index++) {
      const input = eventInputSchema.parse(sampleEvent(index, sessions));
      group.push({ position: index + 1, event: toVisitorEvent(input, receivedAt), receivedAt });
    }
    groups.push(group);
  }
  return groups;
}

/** A dashboard's socket as the hub uses it; sends and publishes are only counted. */
function fakeSocket(data: unknown) {
  return {
    data,
    readyState: 1,
    subscribe() {},
    unsubscribe() {},
    send: (frame: string) => frame.length,
    getBufferedAmount: () => 0,
    terminate() {},
    close() {},
  };
}

type Configuration =
  | "session_tracker"
  | "store"
  | "projections"
  | "projections_and_answers"
  | "projections_and_answer_each"
  | "projections_and_fanout";

/** CPU µs per event of applying every group through one configuration, built fresh. */
function run(
  modules: Modules,
  configuration: Configuration,
  groups: Committed[][],
  options: { dashboards: number },
): number {
  const now = { value: groups[0]?.[0]?.receivedAt ?? 0 };
  const clock = { now: () => now.value };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const live = new modules.store.AnalyticsStore(clock, {
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    maxActiveSessions: 200_000,
    maxTrackedKeys: 10_000,
    statsMaxPages: 100,
  });
  const tracker = new modules.tracker.SessionTracker({
    timeoutMs: SESSION_TIMEOUT_MS,
    maxSessions: 200_000,
    onEnded() {},
  });
  const projections = [
    live,
    new modules.rollup.VisitRollup(live, () => {}),
    new modules.compat.CompatCounters(100_000),
    new modules.alerts.AlertDetector(live, clock, { threshold: 1_000_000, cooldownMs: 60_000 }),
  ];
  const pipeline = new modules.pipeline.Pipeline(
    configuration === "store" ? [live] : projections,
    (stage: string, error: unknown) => {
      throw new Error(`${stage} failed: ${String(error)}`);
    },
  );
  let hub: { flush(): void } | undefined;
  if (configuration === "projections_and_fanout") {
    const realtime = new modules.hub.RealtimeHub(live, clock, logger, {
      maxDashboards: 100_000,
      maxFramesPerSecond: 20,
      messagesPerMinute: 1000,
      detailedStatsPerMinute: 100,
      totalUnsentBytes: 1 << 30,
    });
    realtime.addPublisher({ publish: (_topic: string, frame: string) => frame.length });
    for (let index = 0; index < options.dashboards; index++) {
      realtime.open(fakeSocket(realtime.newSocketData({ batching: true })));
    }
    pipeline.react(realtime);
    hub = realtime;
  }
  let listener: ((group: readonly Committed[]) => void) | undefined;
  pipeline.follow({
    subscribe(receive: typeof listener) {
      listener = receive;
      return () => {};
    },
  });
  let nextTick = now.value + TICK_MS;
  const before = process.cpuUsage();
  for (const group of groups) {
    now.value = (group[0] as Committed).receivedAt;
    if (configuration === "session_tracker") {
      for (const { event, receivedAt } of group) tracker.touch(event, receivedAt);
      continue;
    }
    if (configuration === "projections_and_answer_each") {
      // As POST /api/events answers one event a request: the seed's stats for its site.
      for (const committed of group) {
        listener?.([committed]);
        live.currentStatsJson({ site: committed.event.site });
      }
      continue;
    }
    listener?.(group);
    // As POST /api/events answers a batch: the seed's stats for the site of its first event.
    if (configuration === "projections_and_answers")
      live.currentStatsJson({ site: (group[0] as Committed).event.site });
    if (hub && now.value >= nextTick) {
      hub.flush();
      nextTick = now.value + TICK_MS;
    }
  }
  const used = process.cpuUsage(before);
  const events = groups.reduce((sum, group) => sum + group.length, 0);
  return (used.user + used.system) / events;
}

export async function benchProjections(options: {
  events: number;
  sessions: number;
  rounds: number;
  rate: number;
  dashboards: number;
  trees: string[];
  only?: Configuration[];
}) {
  const trees = await Promise.all(options.trees.map(modulesOf));
  const start = Date.UTC(2026, 0, 5, 9);
  const groups = eventsOf(options.events, options.sessions, options.rate, start);
  const configurations: Configuration[] = options.only ?? [
    "session_tracker",
    "store",
    "projections",
    "projections_and_answers",
    "projections_and_fanout",
  ];
  const samples: Record<string, number[]> = {};
  // A warm-up round, not counted, so that every tree's code is compiled before it is timed.
  for (let round = -1; round < options.rounds; round++) {
    for (const configuration of configurations) {
      for (const [index, modules] of trees.entries()) {
        Bun.gc(true);
        const micros = run(modules, configuration, groups, options);
        if (round < 0) continue;
        const name = trees.length > 1 ? `tree${index}_${configuration}` : configuration;
        samples[name] ??= [];
        samples[name].push(micros);
      }
    }
  }
  const figures: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, values] of Object.entries(samples)) figures[name] = summarise(values, 2);
  return { ...options, micros_per_event: figures };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "100000" },
      sessions: { type: "string", default: "100000" },
      rounds: { type: "string", default: "5" },
      rate: { type: "string", default: "4000" },
      dashboards: { type: "string", default: "100" },
      trees: { type: "string", default: ROOT },
      only: { type: "string" },
    },
  });
  const result = await benchProjections({
    events: Number(values.events),
    sessions: Number(values.sessions),
    rounds: Number(values.rounds),
    rate: Number(values.rate),
    dashboards: Number(values.dashboards),
    trees: String(values.trees).split(","),
    only: values.only?.split(",") as Configuration[] | undefined,
  });
  console.log(JSON.stringify(result, null, 2));
}
