import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATABASE_FILE } from "../../services/storage/database.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { temporaryDataDir } from "../support/server.ts";

const TOKEN = "crash-token-0123456789abcdef";
const dir = temporaryDataDir();
const removedDir = mkdtempSync(join(tmpdir(), "footfall-removed-"));
const processes: ServerProcess[] = [];
afterAll(() => {
  for (const child of processes) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  rmSync(removedDir, { recursive: true, force: true });
});

test("killed with SIGKILL under load, a restart keeps every acknowledged event and the counts match", async () => {
  const env = { API_TOKEN: TOKEN, DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: "0", LOG_LEVEL: "warn" };
  const first = await spawnServer(env);
  processes.push(first);
  const acknowledged = new Set<number>();
  let sequence = 0;
  let killed = false;

  const worker = async (id: number) => {
    while (!killed) {
      const size = id % 2 === 0 ? 1 : 25;
      const seqs = Array.from({ length: size }, () => sequence++);
      const events = seqs.map((seq) => ({
        type: "pageview",
        page: `/p${seq % 13}`,
        session_id: `w${id}-s${seq % 50}`,
        country: ["ES", "FR", "India"][seq % 3],
        metadata: { seq },
      }));
      try {
        const response = await fetch(`${first.url}/api/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(size === 1 ? events[0] : events),
        });
        if (response.status === 201) for (const seq of seqs) acknowledged.add(seq);
      } catch {
        return;
      }
    }
  };
  const workers = Array.from({ length: 6 }, (_, id) => worker(id));
  await Bun.sleep(400 + Math.random() * 600);
  first.process.kill("SIGKILL");
  killed = true;
  await first.process.exited;
  await Promise.all(workers);
  expect(acknowledged.size).toBeGreaterThan(100);

  const db = new Database(join(dir, DATABASE_FILE));
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  const stored = new Set(
    (
      db.query("SELECT json_extract(metadata, '$.seq') AS seq FROM events").all() as {
        seq: number;
      }[]
    ).map((row) => row.seq),
  );
  db.close();
  const missing = [...acknowledged].filter((seq) => !stored.has(seq));
  expect(missing).toEqual([]);

  const second = await spawnServer(env);
  processes.push(second);
  const summary = await (await fetch(`${second.url}/api/analytics/summary?token=${TOKEN}`)).json();
  expect(summary.data.summary.total_today).toBe(stored.size);
  const pages = Object.values(summary.data.summary.pages_visited as Record<string, number>);
  expect(pages.reduce((sum, views) => sum + views, 0)).toBe(stored.size);
  const status = await (await fetch(`${second.url}/api/status?token=${TOKEN}`)).json();
  expect(status.data.events_received).toBe(stored.size);
  second.process.kill("SIGTERM");
  expect(await second.process.exited).toBe(0);
}, 60_000);

test("a server whose database file is deleted refuses, rebuilds it, and after SIGKILL every acknowledged event is there", async () => {
  const env = {
    API_TOKEN: TOKEN,
    DATA_DIR: removedDir,
    RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: "warn",
  };
  const server = await spawnServer(env);
  processes.push(server);
  const post = (seq: number) =>
    fetch(`${server.url}/api/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "pageview",
        page: "/",
        session_id: `r${seq}`,
        metadata: { seq },
      }),
    });
  const acknowledged: number[] = [];
  for (let seq = 0; seq < 20; seq++) if ((await post(seq)).status === 201) acknowledged.push(seq);
  expect(acknowledged).toHaveLength(20);

  // What an operator's `rm` does to a running server.
  for (const suffix of ["", "-wal", "-shm"])
    rmSync(join(removedDir, DATABASE_FILE + suffix), { force: true });
  const refused = await post(100);
  expect(refused.status).toBe(503);
  expect((await refused.json()).code).toBe("storage_unavailable");
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${server.url}/health`)).status !== 200 && Date.now() < deadline) {
    await Bun.sleep(50);
  }
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  expect(server.errors() + server.output()).toContain("the database file was removed");
  for (let seq = 200; seq < 210; seq++)
    if ((await post(seq)).status === 201) acknowledged.push(seq);
  expect(acknowledged).toHaveLength(30);

  server.process.kill("SIGKILL");
  await server.process.exited;
  const db = new Database(join(removedDir, DATABASE_FILE));
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  const stored = (
    db.query("SELECT json_extract(metadata, '$.seq') AS seq FROM events ORDER BY id").all() as {
      seq: number;
    }[]
  ).map((row) => row.seq);
  db.close();
  expect(stored).toEqual(acknowledged);
}, 60_000);
