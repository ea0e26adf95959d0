/**
 * Restart time with N of today's events in the database (default 1,000,000 over 100,000
 * sessions): start `bun index.ts` on a prepared DATA_DIR and time until /health answers, once
 * replaying the whole log (no snapshot: a crash) and once from a snapshot (a graceful stop).
 *
 *   bun bench/restart.ts [--events 1000000] [--sessions 100000] [--runs 3]
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DATABASE_FILE, openDatabase } from "../services/storage/database.ts";
import { startFootfall, summarise } from "./lib/processes.ts";

export function prepareDatabase(dir: string, events: number, sessions: number): void {
  const db = openDatabase(dir, "normal", 5000);
  const insert = db.query(
    `INSERT INTO events (received_at, type, site, page, session_id, country, device, metadata)
     VALUES (?, 'pageview', ?, ?, ?, ?, ?, '{}')`,
  );
  const start = Date.now() - 20 * 60_000;
  const countries = ["US", "IN", "DE", "FR", "ES", "BR", "GB", "JP"];
  const devices = ["desktop", "mobile", "tablet"];
  const write = db.transaction((from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const session = index % sessions;
      insert.run(
        start + Math.floor((index / events) * 19 * 60_000),
        `site-${session % 5}`,
        `/page-${index % 500}`,
        `session-${session}`,
        countries[session % countries.length] as string,
        devices[session % devices.length] as string,
      );
    }
  });
  for (let from = 0; from < events; from += 50_000) write(from, Math.min(events, from + 50_000));
  db.close();
}

async function timeToServing(dir: string): Promise<number> {
  const started = performance.now();
  const server = await startFootfall({ DATA_DIR: dir });
  const elapsed = performance.now() - started;
  await server.stop(); // a graceful stop writes a snapshot
  return elapsed;
}

function dropSnapshots(dir: string): void {
  const db = new Database(join(dir, DATABASE_FILE));
  db.run("DELETE FROM snapshots");
  db.close();
}

export async function benchRestart(options: { events: number; sessions: number; runs: number }) {
  const dir = mkdtempSync(join(tmpdir(), "footfall-bench-restart-"));
  try {
    prepareDatabase(dir, options.events, options.sessions);
    const replay: number[] = [];
    const snapshot: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      dropSnapshots(dir);
      replay.push(await timeToServing(dir)); // replays the whole log, then stops gracefully
      snapshot.push(await timeToServing(dir)); // starts from the snapshot that stop wrote
    }
    return {
      events: options.events,
      sessions: options.sessions,
      replay_whole_log_ms: summarise(replay),
      from_snapshot_ms: summarise(snapshot),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      sessions: { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
    },
  });
  const result = await benchRestart({
    events: Number(values.events),
    sessions: Number(values.sessions),
    runs: Number(values.runs),
  });
  console.log(JSON.stringify({ cores: cpus().length, ...result }, null, 2));
}
