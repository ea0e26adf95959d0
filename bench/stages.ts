/**
 * Where an ingested event's time goes, stage by stage, in-process (no HTTP): the per-event cost
 * of each step of POST /api/events for batches of 100 realistic events. Explains part 2's figure.
 *   bun bench/stages.ts [--events 100000] [--runs 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.ts";
import type { VisitorEvent } from "../interfaces/analytics.ts";
import { readEvents } from "../routes/events.ts";
import { type EventInput, eventInputSchema } from "../schemas/event.ts";
import { startServer } from "../server.ts";
import { toVisitorEvent } from "../services/event-normalizer.ts";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN, summarise } from "./lib/processes.ts";

const BATCH = 100;

function measureOnce(events: number): Record<string, number> {
  const dataDir = mkdtempSync(join(tmpdir(), "footfall-bench-stages-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    API_TOKEN: BENCH_TOKEN,
    LOG_LEVEL: "silent",
    MAX_ACTIVE_SESSIONS: "200000",
  });
  const running = startServer(config);
  const { services } = running;
  const bodies: string[] = [];
  for (let start = 0; start < events; start += BATCH) {
    bodies.push(
      JSON.stringify(Array.from({ length: BATCH }, (_, offset) => sampleEvent(start + offset))),
    );
  }
  const microsPerEvent: Record<string, number> = {};
  const stage = <T>(name: string, run: () => T): T => {
    const started = performance.now();
    const result = run();
    microsPerEvent[name] = ((performance.now() - started) * 1000) / events;
    return result;
  };
  try {
    const parsed = stage("json_parse", () => bodies.map((body) => JSON.parse(body) as unknown[]));
    // As POST /api/events validates a batch (the compiled path, the schema on any doubt).
    const validate = readEvents(config.limits);
    const inputs = stage("validate", () => parsed.map((batch) => validate(batch, 0).inputs));
    stage("validate_schema_alone", () =>
      parsed.map((batch) => batch.map((item) => eventInputSchema.parse(item) as EventInput)),
    );
    const normalised = stage("normalise", () =>
      inputs.map((batch) => batch.map((input) => toVisitorEvent(input, Date.now()))),
    );
    // The pipeline is held while committing, so the commits are timed alone.
    const release = services.pipeline.hold();
    stage("commit", () => {
      for (const batch of normalised) {
        void services.database.log.append(batch, Date.now());
        services.database.log.commit();
      }
    });
    // The projections (live store, compatibility counters, alerts, session history), then the
    // reactions (realtime hub).
    stage("pipeline", () => release());
    stage("answer_stats", () => {
      for (const batch of normalised) {
        services.live.currentStatsJson({ site: (batch[0] as VisitorEvent).site });
      }
    });
    const { validate_schema_alone: _reference, ...steps } = microsPerEvent;
    microsPerEvent.total = Object.values(steps).reduce((sum, value) => sum + value, 0);
    return microsPerEvent;
  } finally {
    void running.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function benchStages(options: { events: number; runs: number }) {
  const runs: Record<string, number>[] = [];
  for (let run = 0; run < options.runs; run++) runs.push(measureOnce(options.events));
  const stages: Record<string, ReturnType<typeof summarise>> = {};
  for (const name of Object.keys(runs[0] ?? {})) {
    stages[name] = summarise(
      runs.map((run) => run[name] as number),
      2,
    );
  }
  return { batch: BATCH, events: options.events, micros_per_event: stages };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
    },
  });
  console.log(
    JSON.stringify(
      benchStages({ events: Number(values.events), runs: Number(values.runs) }),
      null,
      2,
    ),
  );
}
