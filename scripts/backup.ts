/**
 * A consistent copy of Footfall's database, safe while the server runs (SQLite's VACUUM INTO
 * reads one snapshot of the WAL database; the server keeps writing meanwhile).
 *
 *   bun run backup [destination]     default: DATA_DIR/backups/footfall-<timestamp>.db
 */
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadConfig } from "../config/index.ts";
import { DATABASE_FILE } from "../services/storage/database.ts";

const config = loadConfig();
const source = join(config.dataDir, DATABASE_FILE);
if (!existsSync(source)) {
  console.error(`No database at ${source}: set DATA_DIR to the server's data directory.`);
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const destination = resolve(
  process.argv[2] ?? join(config.dataDir, "backups", `footfall-${stamp}.db`),
);
if (existsSync(destination)) {
  console.error(`${destination} exists already; choose another name.`);
  process.exit(1);
}
mkdirSync(dirname(destination), { recursive: true });
const db = new Database(source, { readonly: true });
db.run("PRAGMA busy_timeout = 5000");
db.query("VACUUM INTO ?").run(destination);
db.close();
console.log(`Backed up ${source} to ${destination}`);
