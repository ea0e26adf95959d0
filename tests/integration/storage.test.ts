import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Alert } from "../../interfaces/analytics.ts";
import { ManualClock } from "../../services/clock.ts";
import type { LiveState } from "../../services/live-state.ts";
import { DATABASE_FILE } from "../../services/storage/database.ts";
import { HistoryQueryError } from "../../services/storage/history.ts";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "../../services/storage/migrations.ts";
import { SNAPSHOT_PART_SIZE } from "../../services/storage/snapshot-parts.ts";
import { Storage } from "../../services/storage/storage.ts";
import {
  eventually,
  pageview,
  startTestServer,
  type TestServer,
  temporaryDataDir,
} from "../support/server.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(server: TestServer): TestServer {
  cleanups.push(() => server.stop().catch(() => {}));
  return server;
}

function dataDir(): string {
  const dir = temporaryDataDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function readJson(server: TestServer, path: string) {
  const response = await server.request(path, { auth: true });
  expect(response.status).toBe(200);
  return response.json();
}

/** Resolves once the storage watchdog has tried `count` more write probes (each failed or not). */
function probesTried(server: TestServer, count: number): Promise<void> {
  const storage = server.services.database;
  const probe = storage.probe.bind(storage);
  let tried = 0;
  return new Promise((resolve) => {
    storage.probe = () => {
      if (++tried === count) resolve();
      probe();
    };
    cleanups.push(() => {
      storage.probe = probe;
    });
  });
}

async function healthStatus(server: TestServer): Promise<string> {
  return (await (await server.request("/health")).json()).status;
}

function removeDatabaseFiles(dir: string): void {
  for (const suffix of ["", "-wal", "-shm"]) {
    rmSync(join(dir, DATABASE_FILE + suffix), { force: true });
  }
}

function countEvents(file: string): number {
  const reader = new Database(file, { readonly: true });
  const { count } = reader.query("SELECT COUNT(*) AS count FROM events").get() as {
    count: number;
  };
  reader.close();
  return count;
}

describe("write path", () => {
  test("every acknowledged event is already in the database file", async () => {
    const dir = dataDir();
    const server = track(startTestServer({ DATA_DIR: dir }));
    const acknowledged = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        server.postEvent(pageview(`ack-${index}`, `/p${index % 3}`)),
      ),
    );
    expect(acknowledged.every((response) => response.status === 201)).toBe(true);
    const batch = await server.postEvent(
      Array.from({ length: 10 }, (_, index) => pageview(`batch-${index}`)),
    );
    expect(batch.status).toBe(201);
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const { count } = reader.query("SELECT COUNT(*) AS count FROM events").get() as {
      count: number;
    };
    reader.close();
    expect(count).toBe(50);
  });

  test("DURABILITY picks the synchronous level: normal by default, FULL when strict", async () => {
    const normal = track(startTestServer());
    expect(normal.services.database.db.query("PRAGMA synchronous").get()).toEqual({
      synchronous: 1,
    });
    expect(normal.services.database.db.query("PRAGMA journal_mode").get()).toEqual({
      journal_mode: "wal",
    });
    const strict = track(startTestServer({ DURABILITY: "strict" }));
    expect(strict.services.database.db.query("PRAGMA synchronous").get()).toEqual({
      synchronous: 2,
    });
  });

  test("while the database is locked, ingestion is 503 and health degraded; health recovers with no traffic", async () => {
    const dir = dataDir();
    const server = track(startTestServer({ DATA_DIR: dir, STORAGE_BUSY_TIMEOUT_MS: "300" }));
    expect((await server.postEvent(pageview("before", "/a"))).status).toBe(201);

    const locker = new Database(join(dir, DATABASE_FILE));
    locker.run("BEGIN EXCLUSIVE");
    const refused = await server.postEvent(pageview("during", "/b"));
    expect(refused.status).toBe(503);
    expect((await refused.json()).code).toBe("storage_unavailable");
    const health = await server.request("/health");
    expect(health.status).toBe(503);
    expect((await health.json()).status).toBe("degraded");
    // While degraded a commit waits for no lock, so the server stalls once, not on every request.
    expect(server.services.database.db.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 0 });
    expect((await server.postEvent(pageview("during-2", "/b"))).status).toBe(503);
    // Nothing refused was counted; nothing committed was harmed.
    const during = await readJson(server, "/api/analytics/summary");
    expect(during.data.summary).toMatchObject({ total_today: 1, pages_visited: { "/a": 1 } });

    locker.run("ROLLBACK");
    locker.close();
    // No event arrives: the probe alone brings health back, and the configured wait with it.
    await eventually(async () => (await server.request("/health")).status === 200);
    expect(server.services.database.db.query("PRAGMA busy_timeout").get()).toEqual({
      timeout: 300,
    });
    expect((await server.postEvent(pageview("after", "/c"))).status).toBe(201);
    const after = await readJson(server, "/api/analytics/summary");
    expect(after.data.summary.pages_visited).toEqual({ "/a": 1, "/c": 1 });
  });

  test("when the disk is full, ingestion is 503 until space returns, then 201 with no event lost", async () => {
    const dir = dataDir();
    const server = track(startTestServer({ DATA_DIR: dir }));
    expect((await server.postEvent(pageview("before", "/a"))).status).toBe(201);
    const db = server.services.database.db;
    // The file may not grow past its current size: what SQLite does on a full disk (SQLITE_FULL).
    const { page_count } = db.query("PRAGMA page_count").get() as { page_count: number };
    db.run(`PRAGMA max_page_count = ${page_count}`);
    const big = Array.from({ length: 200 }, (_, index) =>
      pageview(`full-${index}`, "/full", { metadata: { filler: "x".repeat(400) } }),
    );
    const refused = await server.postEvent(big);
    expect(refused.status).toBe(503);
    expect((await refused.json()).code).toBe("storage_unavailable");
    expect(await healthStatus(server)).toBe("degraded");
    // The probe writes fresh pages too, so it keeps failing while the disk is full.
    await probesTried(server, 2);
    expect(await healthStatus(server)).toBe("degraded");

    db.run("PRAGMA max_page_count = 1073741823");
    await eventually(async () => (await healthStatus(server)) === "healthy");
    expect((await server.postEvent(big)).status).toBe(201);
    const summary = await readJson(server, "/api/analytics/summary");
    expect(summary.data.summary.pages_visited).toEqual({ "/a": 1, "/full": 200 });
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  });

  test("a removed database file is refused at once, rebuilt with everything committed, and nothing acknowledged is lost on restart", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    for (let index = 0; index < 5; index++) {
      expect((await first.postEvent(pageview(`kept-${index}`, "/before"))).status).toBe(201);
    }
    removeDatabaseFiles(dir);
    // SQLite would happily write into the deleted file; Footfall must not acknowledge that.
    const refused = await first.postEvent(pageview("refused", "/refused"));
    expect(refused.status).toBe(503);
    expect((await refused.json()).code).toBe("storage_unavailable");
    expect(await healthStatus(first)).toBe("degraded");

    await eventually(async () => (await healthStatus(first)) === "healthy");
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(true);
    expect(countEvents(join(dir, DATABASE_FILE))).toBe(5);
    expect((await first.postEvent(pageview("after", "/after"))).status).toBe(201);
    await first.stop();

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    const summary = await readJson(second, "/api/analytics/summary");
    expect(summary.data.summary.pages_visited).toEqual({ "/before": 5, "/after": 1 });
    expect(countEvents(join(dir, DATABASE_FILE))).toBe(6);
  });

  test("a database file replaced by another file is never written over; ingestion stays 503", async () => {
    const dir = dataDir();
    const server = track(startTestServer({ DATA_DIR: dir }));
    expect((await server.postEvent(pageview("before", "/a"))).status).toBe(201);
    removeDatabaseFiles(dir);
    writeFileSync(join(dir, DATABASE_FILE), "someone else's file");
    expect((await server.postEvent(pageview("refused", "/b"))).status).toBe(503);
    // The watchdog's probes find the other file and leave it be.
    await probesTried(server, 2);
    expect(await healthStatus(server)).toBe("degraded");
    expect((await server.postEvent(pageview("refused-2", "/b"))).status).toBe(503);
    expect(readFileSync(join(dir, DATABASE_FILE), "utf8")).toBe("someone else's file");
    // What it had is saved beside it, for the operator to keep.
    const saved = readdirSync(dir).filter((name) => name.startsWith(`${DATABASE_FILE}.orphaned-`));
    expect(saved).toHaveLength(1);
    expect(countEvents(join(dir, saved[0] as string))).toBe(1);
  });
});

describe("restart", () => {
  // History, over explicit bounds: the seed spans 14:00 to 14:10 on the manual clock.
  const MINUTE_SERIES =
    "/api/analytics/timeseries?from=2026-03-03T13:55:00Z&to=2026-03-03T14:15:00Z&interval=minute";
  const TOP_PAGES = "/api/analytics/top?from=2026-03-03&to=2026-03-03&dimension=page&limit=10";
  const READS = [
    "/api/analytics/summary",
    "/api/analytics/summary?country=India",
    "/api/analytics/summary?page=/products",
    "/api/analytics/sessions?limit=1000",
    "/api/analytics/sessions/s-1",
    "/api/analytics/sessions/s-6",
    "/api/analytics/detailed",
    "/api/customer-visit-count?customerId=c1&websiteId=shop",
    "/api/overall-visit-count?websiteId=shop",
    "/api/v1/stats",
    MINUTE_SERIES,
    "/api/analytics/timeseries?from=2026-03-03&to=2026-03-04&interval=hour&country=India",
    TOP_PAGES,
    "/api/analytics/top?from=2026-03-03&to=2026-03-03&dimension=device&limit=10",
  ];

  async function seed(server: TestServer, clock: ManualClock) {
    for (let index = 0; index < 30; index++) {
      const event = pageview(`s-${index % 7}`, ["/home", "/products", "/cart"][index % 3], {
        country: ["India", "US", "ES"][index % 3],
        metadata: { device: index % 2 ? "mobile" : "desktop", referrer: "google.com" },
      });
      expect((await server.postEvent(event)).status).toBe(201);
      // Spread over minutes, so the last minute's window holds only part of them.
      clock.advance(20_000);
    }
    await server.postEvent({ type: "session_end", page: "/cart", session_id: "s-6" });
    await server.postEvent({ type: "custom", name: "signup", page: "/cart", session_id: "s-1" });
    const visit = { customerId: "c1", deviceId: "d1", websiteId: "shop" };
    await server.request("/api/visit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(visit),
    });
    await server.request("/api/v1/stats?countryCode=DE", { method: "POST" });
  }

  /** Whole bodies, time-stamped fields included: both servers read the same manual clock. */
  async function answers(server: TestServer) {
    const bodies: Record<string, unknown> = {};
    for (const path of READS) {
      const response = await server.request(path, { auth: true });
      bodies[path] = { status: response.status, body: await response.json() };
    }
    // /api/status, less what belongs to the process rather than the data.
    const status = await readJson(server, "/api/status");
    delete status.data.memory;
    delete status.data.storage;
    delete status.data.uptime;
    bodies["/api/status"] = status;
    return bodies;
  }

  function crash(server: TestServer) {
    server.services.lifecycle.stopTimers();
    server.server.stop(true);
    server.services.database.db.close();
  }

  test("after a graceful stop, the next start answers every read exactly as before", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    await seed(first, clock);
    const before = await answers(first);
    expect((before["/api/analytics/sessions/s-1"] as { status: number }).status).toBe(200);
    // The last minute holds some of the visitors, not all: the window itself must survive.
    const detailed = before["/api/analytics/detailed"] as {
      body: { data: { visitors_last_minute: number } };
    };
    expect(detailed.body.data.visitors_last_minute).toBeGreaterThan(0);
    expect(detailed.body.data.visitors_last_minute).toBeLessThan(7);
    // The history answers hold the seed, so comparing them after the restart means something.
    const minutes = before[MINUTE_SERIES] as {
      body: { data: { points: { pageviews: number }[] } };
    };
    expect(minutes.body.data.points).toHaveLength(20);
    // 30 seeded pageviews and the two compatibility visits, which are pageviews too.
    expect(minutes.body.data.points.reduce((sum, point) => sum + point.pageviews, 0)).toBe(32);
    const pages = before[TOP_PAGES] as { body: { data: { items: { key: string }[] } } };
    expect(pages.body.data.items.map((item) => item.key).sort()).toEqual([
      "/",
      "/cart",
      "/home",
      "/products",
    ]);
    await first.stop();

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(second.services.restored.fromSnapshot).toBe(true);
    expect(second.services.restored.replayedEvents).toBe(0);
    expect(await answers(second)).toEqual(before);
  });

  test("without a snapshot (a crash), the log alone rebuilds the same answers", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    await seed(first, clock);
    const before = await answers(first);
    crash(first);

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(second.services.restored.fromSnapshot).toBe(false);
    expect(second.services.restored.replayedEvents).toBe(34);
    expect(await answers(second)).toEqual(before);
  });

  test("events after the last snapshot are replayed on top of it", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    await seed(first, clock);
    first.services.saveSnapshot();
    await first.postEvent(pageview("late-1", "/late", { country: "India" }));
    await first.postEvent(pageview("late-2", "/late"));
    const before = await answers(first);
    crash(first);

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(second.services.restored).toMatchObject({ fromSnapshot: true, replayedEvents: 2 });
    expect(await answers(second)).toEqual(before);
  });

  test("a restart during a spike does not announce it again, and its cooldown carries over", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const env = { DATA_DIR: dir, ALERT_THRESHOLD: "3", ALERT_COOLDOWN_SECONDS: "600" };
    const first = startTestServer(env, { clock });
    const firstAlerts: Alert[] = [];
    first.services.pipeline.react({
      name: "test",
      react: (step) => firstAlerts.push(...step.alerts),
    });
    for (const id of ["a", "b", "c"]) await first.postEvent(pageview(`spike-${id}`, "/"));
    expect(firstAlerts.map((alert) => alert.kind)).toEqual(["spike"]);
    await first.stop();

    const second = startTestServer(env, { clock });
    const secondAlerts: Alert[] = [];
    second.services.pipeline.react({
      name: "test",
      react: (step) => secondAlerts.push(...step.alerts),
    });
    await second.postEvent(pageview("spike-d", "/"));
    second.services.pipeline.tick(clock.now());
    expect(secondAlerts).toEqual([]);
    const spikeAt = clock.now();
    expect(second.services.alerts.exportState()).toMatchObject({
      spiking: true,
      lastSpikeAt: spikeAt,
    });
    // The spike ends as time passes, with no event: that is saved too.
    clock.advance(120_000);
    second.services.pipeline.tick(clock.now());
    expect(secondAlerts.map((alert) => alert.kind)).toEqual(["spike_ended"]);
    await second.stop();

    const third = track(startTestServer(env, { clock }));
    expect(third.services.alerts.exportState()).toMatchObject({
      spiking: false,
      lastSpikeAt: spikeAt,
    });
  });

  /** More active sessions (and visitors) than one snapshot part holds: the state is written in parts. */
  async function seedBeyondOnePart(server: TestServer) {
    const sessions = SNAPSHOT_PART_SIZE + 1;
    for (let start = 0; start < sessions; start += 500) {
      const batch = Array.from({ length: Math.min(500, sessions - start) }, (_, offset) => {
        const index = start + offset;
        // One page and country: today's rankings break ties in restore order, which is not
        // what is tested here.
        return pageview(`bulk-${index}`, "/bulk", { country: "India" });
      });
      expect((await server.postEvent(batch)).status).toBe(201);
    }
  }

  /** The newest snapshot's parts, read from the file itself. */
  function latestSnapshotParts(dir: string) {
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const snapshot = reader
      .query("SELECT id, parts FROM snapshots ORDER BY id DESC LIMIT 1")
      .get() as { id: number; parts: string | null };
    const parts = reader
      .query(
        "SELECT array_id, seq, length(json) AS bytes FROM snapshot_parts WHERE snapshot_id = ?",
      )
      .all(snapshot.id) as { array_id: number; seq: number; bytes: number }[];
    reader.close();
    return { arrays: JSON.parse(snapshot.parts ?? "[]") as { length: number }[], parts };
  }

  test("a live state larger than one snapshot part is saved in parts, and the next start answers every read exactly as before", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    await seed(first, clock);
    await seedBeyondOnePart(first);
    const before = await answers(first);
    const status = before["/api/status"] as { data: { active_sessions: { count: number } } };
    expect(status.data.active_sessions.count).toBeGreaterThan(SNAPSHOT_PART_SIZE);
    await first.stop();

    const { arrays, parts } = latestSnapshotParts(dir);
    // At least the active sessions were split, and into more than one part.
    expect(arrays.some((array) => array.length > SNAPSHOT_PART_SIZE)).toBe(true);
    expect(parts.length).toBeGreaterThanOrEqual(2);

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(second.services.restored).toMatchObject({ fromSnapshot: true, replayedEvents: 0 });
    expect(await answers(second)).toEqual(before);
  });

  test("a crash after a snapshot in parts restores that snapshot whole and replays only what came after", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    await seed(first, clock);
    await seedBeyondOnePart(first);
    first.services.saveSnapshot();
    expect(latestSnapshotParts(dir).parts.length).toBeGreaterThanOrEqual(2);
    await first.postEvent(pageview("late-1", "/late", { country: "India" }));
    await first.postEvent(pageview("bulk-7", "/late"));
    const before = await answers(first);
    crash(first);

    const second = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(second.services.restored).toMatchObject({ fromSnapshot: true, replayedEvents: 2 });
    expect(await answers(second)).toEqual(before);
  });

  test("a session that ended before a snapshot is archived with it, even if the process dies next", async () => {
    const dir = dataDir();
    const server = startTestServer({ DATA_DIR: dir });
    // No archive timer: only the snapshot can write the ended session.
    server.services.lifecycle.stopTimers();
    await server.postEvent(pageview("ends", "/in"));
    await server.postEvent(pageview("ends", "/out"));
    await server.postEvent({ type: "session_end", page: "/out", session_id: "ends" });
    server.services.saveSnapshot();
    crash(server);

    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const row = reader
      .query("SELECT exit_page, page_views FROM sessions WHERE session_id = ?")
      .get("ends");
    reader.close();
    expect(row).toEqual({ exit_page: "/out", page_views: 2 });
  });
});

describe("snapshots in parts", () => {
  function openStorage(dir: string, snapshotPartSize: number): Storage {
    return Storage.open({
      dataDir: dir,
      durability: "normal",
      busyTimeoutMs: 1000,
      retentionDays: 30,
      snapshotPartSize,
    });
  }

  /** Storage treats the live state as any JSON; a small stand-in keeps the parts countable. */
  function stateWith(sessions: unknown[], lastSpikeAt: number): LiveState {
    return {
      store: { sessions: { active: sessions, recentlyEnded: [] } },
      compat: { customers: [] },
      alerts: { spiking: false, lastSpikeAt },
    } as unknown as LiveState;
  }

  function partRows(storage: Storage) {
    return storage.db
      .query("SELECT snapshot_id, array_id, seq FROM snapshot_parts ORDER BY snapshot_id, seq")
      .all() as { snapshot_id: number; array_id: number; seq: number }[];
  }

  test("a snapshot that fails partway through its parts leaves the previous one whole, and the next one saves", () => {
    const dir = dataDir();
    const storage = openStorage(dir, 2);
    const complete = stateWith(["a", "b", "c", "d", "e"], 1);
    expect(storage.saveSnapshot(complete, 1000)).toBe(true);
    const rowsBefore = partRows(storage);
    expect(rowsBefore).toHaveLength(3);

    // The second part cannot be written: the transaction stops after the first part went in.
    const failing = {
      toJSON() {
        throw new Error("cannot serialise");
      },
    };
    expect(() => storage.saveSnapshot(stateWith(["f", "g", failing, "h"], 2), 2000)).toThrow(
      "cannot serialise",
    );
    expect(partRows(storage)).toEqual(rowsBefore);
    storage.close();

    const reopened = openStorage(dir, 2);
    expect(reopened.latestSnapshot()?.state).toEqual(complete);
    const next = stateWith(["x", "y", "z"], 3);
    expect(reopened.saveSnapshot(next, 3000)).toBe(true);
    reopened.close();
    const third = openStorage(dir, 2);
    cleanups.push(() => third.close());
    expect(third.latestSnapshot()?.state).toEqual(next);
  });

  test("each snapshot deletes the one before it with its parts; cleanup leaves the latest alone", () => {
    const storage = openStorage(dataDir(), 2);
    cleanups.push(() => storage.close());
    const sessions = (count: number) => Array.from({ length: count }, (_, index) => `s-${index}`);
    const ids = () => [...new Set(partRows(storage).map((row) => row.snapshot_id))];
    for (let index = 1; index <= 4; index++) {
      expect(storage.saveSnapshot(stateWith(sessions(index + 2), index), index)).toBe(true);
      expect(ids()).toEqual([index]);
    }
    storage.cleanup(Date.UTC(2026, 0, 1));
    expect(ids()).toEqual([4]);
    expect(storage.latestSnapshot()?.state).toEqual(stateWith(sessions(6), 4));
  });
});

describe("schema and retention", () => {
  test("a real database of the previous schema (a committed fixture) opens: migrated, its state and history kept", async () => {
    const dir = dataDir();
    copyFileSync(join(FIXTURES, "footfall-schema-v2.db"), join(dir, DATABASE_FILE));
    const fixture = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect(fixture.query("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    fixture.close();
    expect(SCHEMA_VERSION).toBeGreaterThan(2);

    // The fixture's events arrived on 2026-01-15 at 12:00 and 12:01 UTC.
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 5, 0));
    const server = track(startTestServer({ DATA_DIR: dir }, { clock }));
    expect(server.services.restored).toMatchObject({ fromSnapshot: true, replayedEvents: 0 });
    const db = server.services.database.db;
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    for (const table of [
      "events",
      "snapshots",
      "sessions",
      "daily_rollups",
      "storage_probe",
      "snapshot_parts",
    ]) {
      expect(
        db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(table),
      ).toEqual({ name: table });
    }
    const summary = await readJson(server, "/api/analytics/summary");
    expect(summary.data.summary).toEqual({
      total_active: 2,
      total_today: 4,
      pages_visited: { "/home": 2, "/pricing": 1, "/docs": 1 },
      pages_total: 3,
      // Its snapshot predates the window of visitors right now.
      visitors_right_now: 0,
    });
    expect(
      db.query("SELECT journey, end_reason FROM sessions WHERE session_id = 'v2-a'").get(),
    ).toEqual({ journey: JSON.stringify(["/home", "/pricing"]), end_reason: "ended" });
    // Migration 8 lists the sites of the visits already archived.
    const archivedSites = db
      .query("SELECT DISTINCT site FROM sessions WHERE end_reason <> 'active' ORDER BY site")
      .all();
    expect(archivedSites.length).toBeGreaterThan(0);
    const listed = db.query("SELECT site FROM sites ORDER BY site").all();
    for (const site of archivedSites) expect(listed).toContainEqual(site);
    const top = await readJson(
      server,
      "/api/analytics/top?from=2026-01-15&to=2026-01-15&dimension=page",
    );
    expect(top.data.items[0]).toEqual({ key: "/home", pageviews: 2, visitors: 2 });
    // The upgraded database takes new events next to the old ones.
    expect((await server.postEvent(pageview("v3", "/new"))).status).toBe(201);
    expect(countEvents(join(dir, DATABASE_FILE))).toBe(6);
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(
      MIGRATIONS.map((_, index) => index + 1),
    );
  });

  test("upgrading to schema 3 adds page-and-country roll-ups to days already rolled up", () => {
    const db = new Database(":memory:", { strict: true });
    migrate(db, 2);
    const at = Date.UTC(2026, 0, 20, 8, 0, 0);
    const insert = db.query(
      `INSERT INTO events (received_at, type, site, page, session_id, country, device)
       VALUES (?, 'pageview', 'default', ?, ?, ?, 'desktop')`,
    );
    insert.run(at, "/x", "s1", "ES");
    insert.run(at + 1000, "/x", "s2", "ES");
    insert.run(at + 2000, "/x", "s3", "FR");
    db.run("INSERT INTO daily_rollups VALUES ('2026-01-20', 'default', 'total', '', 3, 3)");
    expect(migrate(db, 3)).toEqual([3]);
    expect(
      db
        .query(
          "SELECT key, pageviews, visitors FROM daily_rollups WHERE dimension = 'page_country' ORDER BY key",
        )
        .all(),
    ).toEqual([
      { key: "/x\0ES", pageviews: 2, visitors: 2 },
      { key: "/x\0FR", pageviews: 1, visitors: 1 },
    ]);
    db.close();
  });

  test("the cleanup timer runs every CLEANUP_INTERVAL_MINUTES by itself", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
    // 0.002 minutes: every 120 ms.
    const server = track(
      startTestServer({ RETENTION_DAYS: "1", CLEANUP_INTERVAL_MINUTES: "0.002" }, { clock }),
    );
    await server.postEvent(pageview("old", "/old"));
    clock.advance(2 * 86_400_000);
    await server.postEvent(pageview("new", "/new"));
    server.services.saveSnapshot();
    const db = server.services.database.db;
    const count = () =>
      (db.query("SELECT COUNT(*) AS count FROM events").get() as { count: number }).count;
    expect(count()).toBe(2);
    await eventually(() => count() === 1);
    expect(
      db.query("SELECT day, pageviews FROM daily_rollups WHERE dimension = 'total'").all(),
    ).toEqual([{ day: "2026-03-10", pageviews: 1 }]);
  });

  test("cleanup rolls finished days up, then removes raw events older than RETENTION_DAYS; roll-ups stay", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
    const server = track(startTestServer({ RETENTION_DAYS: "2" }, { clock }));
    await server.postEvent(
      pageview("old-1", "/a", { country: "ES", metadata: { device: "mobile" } }),
    );
    await server.postEvent(pageview("old-2", "/a", { country: "FR" }));
    await server.postEvent(pageview("old-2", "/b", { country: "FR" }));
    clock.advance(3 * 86_400_000);
    await server.postEvent(pageview("new-1", "/c"));
    server.services.saveSnapshot();

    const result = server.services.database.cleanup(clock.now());
    expect(result.rolledUp).toEqual(["2026-03-10", "2026-03-11", "2026-03-12"]);
    expect(result.deletedEvents).toBe(3);
    const { count } = server.services.database.db
      .query("SELECT COUNT(*) AS count FROM events")
      .get() as { count: number };
    expect(count).toBe(1);

    const top = await readJson(
      server,
      "/api/analytics/top?from=2026-03-10&to=2026-03-13&dimension=page",
    );
    expect(top.data.items).toEqual([
      { key: "/a", pageviews: 2, visitors: 2 },
      { key: "/b", pageviews: 1, visitors: 1 },
      { key: "/c", pageviews: 1, visitors: 1 },
    ]);
    const series = await readJson(
      server,
      "/api/analytics/timeseries?from=2026-03-10&to=2026-03-14&interval=day",
    );
    expect(series.data.points.map((point: { pageviews: number }) => point.pageviews)).toEqual([
      3, 0, 0, 1,
    ]);
    expect(series.data.points[0]).toEqual({
      t: "2026-03-10T00:00:00.000Z",
      pageviews: 3,
      visitors: 2,
    });
  });

  test("ended sessions are kept with their entry and exit pages", async () => {
    const server = track(startTestServer());
    await server.postEvent(pageview("journey", "/in"));
    await server.postEvent(pageview("journey", "/middle"));
    await server.postEvent(pageview("journey", "/out"));
    await server.postEvent({ type: "session_end", page: "/out", session_id: "journey" });
    server.services.database.flushEndedSessions();
    const row = server.services.database.db
      .query("SELECT * FROM sessions WHERE session_id = 'journey'")
      .get();
    expect(row).toMatchObject({
      end_reason: "ended",
      entry_page: "/in",
      exit_page: "/out",
      page_views: 3,
      journey: JSON.stringify(["/in", "/middle", "/out"]),
    });
  });
});

describe("history API", () => {
  test("the time series fills gaps with zeros and honours site, country and page filters", async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 30));
    const server = track(startTestServer({}, { clock }));
    await server.postEvent(pageview("a", "/x", { country: "ES", site: "one" }));
    await server.postEvent(pageview("b", "/y", { country: "FR", site: "one" }));
    clock.advance(3 * 60_000);
    await server.postEvent(pageview("a", "/x", { country: "ES", site: "two" }));
    await server.postEvent({ type: "click", page: "/x", session_id: "a" });

    const from = "2026-05-01T10:00:00Z";
    const to = "2026-05-01T10:05:00Z";
    const all = await readJson(
      server,
      `/api/analytics/timeseries?from=${from}&to=${to}&interval=minute`,
    );
    expect(all.data.interval).toBe("minute");
    expect(all.data.points).toEqual([
      { t: "2026-05-01T10:00:00.000Z", pageviews: 2, visitors: 2 },
      { t: "2026-05-01T10:01:00.000Z", pageviews: 0, visitors: 0 },
      { t: "2026-05-01T10:02:00.000Z", pageviews: 0, visitors: 0 },
      { t: "2026-05-01T10:03:00.000Z", pageviews: 1, visitors: 1 },
      { t: "2026-05-01T10:04:00.000Z", pageviews: 0, visitors: 0 },
    ]);
    const site = await readJson(
      server,
      `/api/analytics/timeseries?from=${from}&to=${to}&interval=minute&site=one`,
    );
    expect(site.data.points.map((point: { pageviews: number }) => point.pageviews)).toEqual([
      2, 0, 0, 0, 0,
    ]);
    const country = await readJson(
      server,
      `/api/analytics/timeseries?from=${from}&to=${to}&interval=minute&country=ES`,
    );
    expect(country.data.points.map((point: { pageviews: number }) => point.pageviews)).toEqual([
      1, 0, 0, 1, 0,
    ]);
    const page = await readJson(
      server,
      `/api/analytics/timeseries?from=${from}&to=${to}&interval=minute&page=/y`,
    );
    expect(page.data.points.map((point: { pageviews: number }) => point.pageviews)).toEqual([
      1, 0, 0, 0, 0,
    ]);
    const hours = await readJson(
      server,
      `/api/analytics/timeseries?from=2026-05-01&to=2026-05-02&interval=hour`,
    );
    expect(hours.data.points).toHaveLength(24);
    expect(hours.data.points[10]).toEqual({
      t: "2026-05-01T10:00:00.000Z",
      pageviews: 3,
      visitors: 2,
    });
  });

  test("a time series over 10,000 points, or backwards, is 400", async () => {
    const server = track(startTestServer());
    const tooMany = await server.request(
      "/api/analytics/timeseries?from=2020-01-01&to=2026-01-01&interval=minute",
      { auth: true },
    );
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).message).toContain("10000");
    const backwards = await server.request(
      "/api/analytics/timeseries?from=2026-01-02&to=2026-01-01",
      { auth: true },
    );
    expect(backwards.status).toBe(400);
    const badInterval = await server.request("/api/analytics/timeseries?interval=week", {
      auth: true,
    });
    expect(badInterval.status).toBe(400);
  });

  test("top ranks pages, countries, devices and referrers over a date range", async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 0));
    const server = track(startTestServer({}, { clock }));
    await server.postEvent(
      pageview("a", "/x", {
        country: "ES",
        metadata: { device: "mobile", referrer: "news.example" },
      }),
    );
    await server.postEvent(pageview("a", "/y", { country: "ES", metadata: { device: "mobile" } }));
    await server.postEvent(pageview("b", "/x", { country: "FR", metadata: { device: "desktop" } }));
    const ask = (dimension: string) =>
      readJson(server, `/api/analytics/top?from=2026-05-01&to=2026-05-01&dimension=${dimension}`);
    expect((await ask("page")).data.items).toEqual([
      { key: "/x", pageviews: 2, visitors: 2 },
      { key: "/y", pageviews: 1, visitors: 1 },
    ]);
    expect((await ask("country")).data.items[0]).toEqual({ key: "ES", pageviews: 2, visitors: 1 });
    expect((await ask("device")).data.items).toEqual([
      { key: "mobile", pageviews: 2, visitors: 1 },
      { key: "desktop", pageviews: 1, visitors: 1 },
    ]);
    expect((await ask("referrer")).data.items).toEqual([
      { key: "(none)", pageviews: 2, visitors: 2 },
      { key: "news.example", pageviews: 1, visitors: 1 },
    ]);
    const limited = await readJson(
      server,
      "/api/analytics/top?from=2026-05-01&to=2026-05-01&limit=1",
    );
    expect(limited.data.items).toHaveLength(1);
  });

  test("export streams raw events as NDJSON, filtered by time and site, and needs the token", async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 0));
    const server = track(startTestServer({}, { clock }));
    const events = Array.from({ length: 1200 }, (_, index) =>
      pageview(`e-${index}`, "/export", {
        site: index % 2 ? "odd" : "even",
        metadata: { seq: index },
      }),
    );
    for (let start = 0; start < events.length; start += 400) {
      expect((await server.postEvent(events.slice(start, start + 400))).status).toBe(201);
    }
    clock.advance(60_000);
    await server.postEvent(pageview("later", "/later"));

    expect((await server.request("/api/events/export")).status).toBe(401);
    const response = await server.request("/api/events/export", { auth: true });
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1201);
    expect(lines[0]).toMatchObject({
      type: "pageview",
      session_id: "e-0",
      site: "even",
      metadata: { seq: 0 },
    });
    expect(lines.map((line) => line.id)).toEqual(
      [...lines.map((line) => line.id)].sort((a, b) => a - b),
    );

    const odd = await (await server.request("/api/events/export?site=odd", { auth: true })).text();
    expect(odd.trim().split("\n")).toHaveLength(600);
    const windowed = await (
      await server.request("/api/events/export?from=2026-05-01T10:00:30Z", { auth: true })
    ).text();
    expect(
      windowed
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).session_id),
    ).toEqual(["later"]);
  });

  test("export is streamed: the first lines arrive before the rest is read, without a length", async () => {
    const server = track(startTestServer());
    const filler = "x".repeat(300);
    for (let round = 0; round < 8; round++) {
      const batch = Array.from({ length: 500 }, (_, index) =>
        pageview(`big-${round}-${index}`, "/big", { metadata: { round, index, filler } }),
      );
      expect((await server.postEvent(batch)).status).toBe(201);
    }
    const response = await server.request("/api/events/export", { auth: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBeNull();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const text = new TextDecoder().decode(first.value);
    // About 2 MB in all: the first read holds the start of the log, not the whole of it.
    expect(text.length).toBeLessThan(1_000_000);
    expect(JSON.parse(text.slice(0, text.indexOf("\n")))).toMatchObject({
      id: 1,
      session_id: "big-0-0",
    });
    await reader.cancel();
    // The server is unharmed by a client that left mid-stream.
    expect((await server.postEvent(pageview("after-export"))).status).toBe(201);
  });

  test("export from a time starts at that time's first event, events before it left out", async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 10, 0, 0));
    const server = track(startTestServer({}, { clock }));
    for (let minute = 0; minute < 5; minute++) {
      await server.postEvent(pageview(`m${minute}`, "/"));
      clock.advance(60_000);
    }
    const body = await (
      await server.request("/api/events/export?from=2026-05-01T10:02:00Z&to=2026-05-01T10:04:00Z", {
        auth: true,
      })
    ).text();
    expect(
      body
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).session_id),
    ).toEqual(["m2", "m3"]);
  });

  test("a day series filtered by page and country together is answered from roll-ups after retention", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
    const server = track(startTestServer({ RETENTION_DAYS: "1" }, { clock }));
    await server.postEvent(pageview("a", "/x", { country: "ES" }));
    await server.postEvent(pageview("b", "/x", { country: "FR" }));
    await server.postEvent(pageview("c", "/y", { country: "ES" }));
    clock.advance(3 * 86_400_000);
    server.services.saveSnapshot();
    server.services.database.cleanup(clock.now());
    expect(countEvents(join(server.dataDir, DATABASE_FILE))).toBe(0);

    const series = await readJson(
      server,
      "/api/analytics/timeseries?from=2026-03-10&to=2026-03-11&interval=day&page=/x&country=ES",
    );
    expect(series.data.points).toEqual([
      { t: "2026-03-10T00:00:00.000Z", pageviews: 1, visitors: 1 },
    ]);
    // A day rolled up before page-and-country roll-ups existed cannot answer that filter.
    server.services.database.db.run("DELETE FROM daily_rollups WHERE dimension = 'page_country'");
    await expect(
      server.services.database.history.timeseries(
        Date.UTC(2026, 2, 10),
        Date.UTC(2026, 2, 11),
        "day",
        { page: "/x", country: "ES" },
        clock.now(),
      ),
    ).rejects.toThrow(HistoryQueryError);
  });
});
