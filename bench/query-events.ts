/**
 * What moving the query endpoint's covering index off the events table bought (issue 15): in one
 * process, rounds alternating a database at schema 9 (the covering index on `events`) and one at
 * the current schema (`events` with its time index alone), the commit's µs an event through the
 * SQLite event log, then, at the current schema, the background copy into `query_events`: µs an
 * event and the longest slice of the timer's copy.
 *   bun bench/query-events.ts [--events 50000] [--per-commit 10] [--rounds 5]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { VisitorEvent } from "../interfaces/analytics.ts";
import { toVisitorEvent } from "../services/event-normalizer.ts";
import { SqliteEventLog } from "../services/storage/event-log.ts";
import { migrate, SCHEMA_VERSION } from "../services/storage/migrations.ts";
import { COPY_SLICE, QueryEventsCopy } from "../services/storage/query-events.ts";
import { sampleEvent } from "./lib/events.ts";
import { summarise } from "./lib/processes.ts";

/** The last schema with the covering index on `events`. */
const BEFORE_SCHEMA = 9;

function openAt(dir: string, version: number): Database {
  const db = new Database(join(dir, `v${version}.db`), { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  migrate(db, version);
  return db;
}

/** µs an event to commit `events` through the log, `perCommit` events a transaction. */
function commitCost(db: Database, events: VisitorEvent[], perCommit: number): number {
  const log = new SqliteEventLog(db);
  const started = performance.now();
  for (let start = 0; start < events.length; start += perCommit) {
    void log.append(events.slice(start, start + perCommit), Date.now());
    log.commit();
  }
  return ((performance.now() - started) * 1000) / events.length;
}

export function benchQueryEvents(options: { events: number; perCommit: number; rounds: number }) {
  const events = Array.from({ length: options.events }, (_, index) =>
    toVisitorEvent(sampleEvent(index) as Parameters<typeof toVisitorEvent>[0], Date.now()),
  );
  const before: number[] = [];
  const after: number[] = [];
  const copy: number[] = [];
  const slowestSlice: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const version of round % 2 === 0
      ? [BEFORE_SCHEMA, SCHEMA_VERSION]
      : [SCHEMA_VERSION, BEFORE_SCHEMA]) {
      const dir = mkdtempSync(join(tmpdir(), "footfall-bench-query-events-"));
      const db = openAt(dir, version);
      try {
        const micros = commitCost(db, events, options.perCommit);
        if (version === BEFORE_SCHEMA) {
          before.push(micros);
          continue;
        }
        after.push(micros);
        const copier = new QueryEventsCopy(() => db);
        const started = performance.now();
        let slowest = 0;
        while (true) {
          const slice = performance.now();
          const copied = copier.copy(COPY_SLICE);
          slowest = Math.max(slowest, performance.now() - slice);
          if (copied < COPY_SLICE) break;
        }
        copy.push(((performance.now() - started) * 1000) / options.events);
        slowestSlice.push(slowest);
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return {
    events: options.events,
    events_per_commit: options.perCommit,
    commit_us_per_event: {
      [`schema_${BEFORE_SCHEMA}_covering_index_on_events`]: summarise(before, 2),
      [`schema_${SCHEMA_VERSION}_time_index_alone`]: summarise(after, 2),
    },
    background_copy_us_per_event: summarise(copy, 2),
    copy_slice_of_events: COPY_SLICE,
    slowest_copy_slice_ms: summarise(slowestSlice, 2),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "50000" },
      "per-commit": { type: "string", default: "10" },
      rounds: { type: "string", default: "5" },
    },
  });
  const result = benchQueryEvents({
    events: Number(values.events),
    perCommit: Number(values["per-commit"]),
    rounds: Number(values.rounds),
  });
  console.log(JSON.stringify(result, null, 2));
}
