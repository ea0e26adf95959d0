import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATABASE_FILE } from "../../services/storage/database.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";

const TOKEN = "rescue-token-0123456789abcdef";
const dirs: string[] = [];
const processes: ServerProcess[] = [];
afterAll(async () => {
  for (const child of processes) await child.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "footfall-rescue-"));
  dirs.push(dir);
  return dir;
}

async function spawn(dir: string): Promise<ServerProcess> {
  const child = await spawnServer({
    API_TOKEN: TOKEN,
    DATA_DIR: dir,
    RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: "warn",
  });
  processes.push(child);
  return child;
}

function batch(from: number, size: number) {
  return Array.from({ length: size }, (_, offset) => ({
    type: "pageview",
    page: `/p${(from + offset) % 17}`,
    session_id: `s${(from + offset) % 300}`,
    metadata: { seq: from + offset },
  }));
}

async function post(server: ServerProcess, from: number, size: number): Promise<number> {
  const response = await fetch(`${server.url}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(batch(from, size)),
  });
  await response.arrayBuffer();
  return response.status;
}

function storedSeqs(file: string): number[] {
  const db = new Database(file, { readonly: true });
  const rows = db
    .query("SELECT json_extract(metadata, '$.seq') AS seq FROM events ORDER BY id")
    .all() as { seq: number }[];
  db.close();
  return rows.map((row) => row.seq);
}

test("removing only footfall.db (its -wal and -shm left) past the first checkpoint: the rebuilt database is whole and a restart has every acknowledged event", async () => {
  const dir = freshDir();
  const server = await spawn(dir);
  const acknowledged: number[] = [];
  let next = 0;
  // 120 batches of 100: the write-ahead log passes SQLite's first checkpoint (1,000 pages).
  for (let index = 0; index < 120; index++, next += 100) {
    expect(await post(server, next, 100)).toBe(201);
    for (let seq = next; seq < next + 100; seq++) acknowledged.push(seq);
  }

  rmSync(join(dir, DATABASE_FILE));
  // Keep posting: refused (503) until the file is rebuilt, then stored again.
  const deadline = Date.now() + 15_000;
  let storedAfter = 0;
  while (storedAfter < 20 && Date.now() < deadline) {
    const status = await post(server, next, 100);
    if (status === 201) {
      for (let seq = next; seq < next + 100; seq++) acknowledged.push(seq);
      storedAfter++;
    } else {
      expect(status).toBe(503);
      await Bun.sleep(20);
    }
    next += 100;
  }
  expect(storedAfter).toBe(20);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);

  const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
  expect(reader.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
  reader.close();

  server.process.kill("SIGTERM");
  expect(await server.process.exited).toBe(0);
  expect(server.errors() + server.output()).not.toContain("SQLITE_CORRUPT");
  expect(storedSeqs(join(dir, DATABASE_FILE))).toEqual(acknowledged);

  const restarted = await spawn(dir);
  expect(restarted.process.exitCode).toBeNull();
  const summary = await (
    await fetch(`${restarted.url}/api/analytics/summary?token=${TOKEN}`)
  ).json();
  expect(summary.data.summary.total_today).toBe(acknowledged.length);
  restarted.process.kill("SIGTERM");
  expect(await restarted.process.exited).toBe(0);
}, 90_000);

/** A database Footfall wrote, with events enough for many pages, then stopped. */
async function preparedDatabase(): Promise<string> {
  const dir = freshDir();
  const server = await spawn(dir);
  for (let index = 0; index < 30; index++) expect(await post(server, index * 100, 100)).toBe(201);
  server.process.kill("SIGTERM");
  expect(await server.process.exited).toBe(0);
  return dir;
}

async function expectCleanRefusal(dir: string) {
  const started = Date.now();
  const server = await spawn(dir);
  const code = await Promise.race([server.process.exited, Bun.sleep(10_000).then(() => "hung")]);
  expect(code).toBe(1);
  expect(Date.now() - started).toBeLessThan(10_000);
  const lines = (server.output() + server.errors())
    .split("\n")
    .filter((line) => line.includes("damaged"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(join(dir, DATABASE_FILE));
}

test("a start-up on a database with garbage in the middle of its pages says so in one line and exits 1 within seconds", async () => {
  const dir = await preparedDatabase();
  const file = join(dir, DATABASE_FILE);
  const size = statSync(file).size;
  const fd = openSync(file, "r+");
  // Garbage over a few pages in the middle (page 1, the header, is left alone).
  const garbage = Buffer.alloc(3 * 4096, 0xa7);
  writeSync(fd, garbage, 0, garbage.length, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
  await expectCleanRefusal(dir);
}, 60_000);

test("a start-up on a truncated database says so in one line and exits 1 within seconds", async () => {
  const dir = await preparedDatabase();
  const file = join(dir, DATABASE_FILE);
  truncateSync(file, Math.floor(statSync(file).size / 3 / 4096) * 4096);
  await expectCleanRefusal(dir);
}, 60_000);
