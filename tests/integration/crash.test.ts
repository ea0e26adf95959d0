import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DATABASE_FILE } from "../../services/storage/database.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { temporaryDataDir } from "../support/server.ts";

const TOKEN = "crash-token-0123456789abcdef";
const dir = temporaryDataDir();
const processes: ServerProcess[] = [];
afterAll(() => {
  for (const child of processes) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
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
