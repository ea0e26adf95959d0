import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./migrations.ts";

export type Durability = "normal" | "strict";
export const DATABASE_FILE = "footfall.db";

/** The database file is damaged: SQLite's own check found problems, or could not read it at all. */
export class DatabaseDamagedError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(
      `the database ${path} is damaged (${problems.slice(0, 3).join("; ")}${problems.length > 3 ? `; and ${problems.length - 3} more` : ""}): stop Footfall, move it aside and restore a backup, or start with an empty DATA_DIR`,
    );
    this.name = "DatabaseDamagedError";
  }
}

/**
 * Runs SQLite's structural check (every page, b-tree order, the freelist; not index contents), so a
 * damaged file is refused at once rather than read into a malformed error or an endless loop later.
 */
export function checkIntegrity(
  db: Database,
  path: string,
  pragma: "quick_check" | "integrity_check" = "quick_check",
): void {
  let problems: string[];
  try {
    problems = (db.query(`PRAGMA ${pragma}`).values() as [string][]).map(([row]) => row);
  } catch (error) {
    throw damagedOr(error, path);
  }
  if (problems.length !== 1 || problems[0] !== "ok") {
    // Rows may span lines ("*** in database main ***\nPage 4: ..."): the error stays one line.
    throw new DatabaseDamagedError(
      path,
      problems.flatMap((problem) => problem.split("\n")).filter((line) => !line.startsWith("***")),
    );
  }
}

/**
 * Opens (creating it if needed) the one database in DATA_DIR, in WAL mode, after checking that it
 * is whole. `normal` (synchronous=NORMAL) survives any crash of the process; `strict` (FULL) also
 * survives an OS crash or power loss, at a cost in throughput.
 */
export function openDatabase(
  dataDir: string,
  durability: Durability,
  busyTimeoutMs: number,
  check: "quick_check" | "integrity_check" = "quick_check",
): Database {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DATABASE_FILE);
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
    db.run("PRAGMA journal_mode = WAL");
  } catch (error) {
    // "file is not a database": the header itself is unreadable.
    throw damagedOr(error, path);
  }
  try {
    checkIntegrity(db, path, check);
    db.run(`PRAGMA synchronous = ${durability === "strict" ? "FULL" : "NORMAL"}`);
    db.run(`PRAGMA busy_timeout = ${Math.round(busyTimeoutMs)}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw damagedOr(error, path);
  }
  return db;
}

/** SQLite's "malformed" and "not a database" errors mean a damaged file; anything else is itself. */
function damagedOr(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof DatabaseDamagedError) return error;
  if (typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")) {
    return new DatabaseDamagedError(path, [(error as Error).message]);
  }
  return error;
}
