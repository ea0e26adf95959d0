import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./migrations.ts";

export type Durability = "normal" | "strict";
export const DATABASE_FILE = "footfall.db";

/**
 * Opens (creating it if needed) the one database in DATA_DIR, in WAL mode.
 * `normal` (synchronous=NORMAL) survives any crash of the process; `strict` (FULL) also
 * survives an OS crash or power loss, at a cost in throughput.
 */
export function openDatabase(
  dataDir: string,
  durability: Durability,
  busyTimeoutMs: number,
): Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, DATABASE_FILE), { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run(`PRAGMA synchronous = ${durability === "strict" ? "FULL" : "NORMAL"}`);
  db.run(`PRAGMA busy_timeout = ${Math.round(busyTimeoutMs)}`);
  migrate(db);
  return db;
}
