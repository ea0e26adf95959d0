import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ManualClock } from "../../services/clock.ts";
import type { LiveState } from "../../services/live-state.ts";
import { Storage } from "../../services/storage/storage.ts";
import { pageview, startTestServer, type TestServer, temporaryDataDir } from "../support/server.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dataDir(): string {
  const dir = temporaryDataDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openStorage(dir: string, options: { partSize?: number; sliceMs?: number } = {}) {
  return Storage.open({
    dataDir: dir,
    durability: "normal",
    busyTimeoutMs: 1000,
    retentionDays: 30,
    snapshotPartSize: options.partSize ?? 2,
    snapshotSliceMs: options.sliceMs ?? 0,
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

const sessions = (count: number) => Array.from({ length: count }, (_, index) => `s-${index}`);

function snapshotIds(storage: Storage) {
  const headers = storage.db.query("SELECT id FROM snapshots ORDER BY id").values() as [number][];
  const parts = storage.db
    .query("SELECT DISTINCT snapshot_id FROM snapshot_parts ORDER BY snapshot_id")
    .values() as [number][];
  return { headers: headers.map(([id]) => id), parts: parts.map(([id]) => id) };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("snapshots kept", () => {
  test("each snapshot deletes the older ones and their parts in its own transaction: never more than two, one once written", async () => {
    const storage = openStorage(dataDir());
    cleanups.push(() => storage.close());
    let largest = 0;
    for (let index = 1; index <= 20; index++) {
      const state = stateWith(sessions(index + 4), index);
      if (index % 2 === 0) {
        expect(storage.saveSnapshot(state, index)).toBe(true);
      } else {
        // While it is written, the previous one and the staged parts of this one: two at most.
        const saved = storage.saveSnapshotInTurns(state, index, {
          nextTurn: async () => {
            const { headers, parts } = snapshotIds(storage);
            largest = Math.max(largest, new Set([...headers, ...parts]).size);
            expect(headers.length).toBeLessThanOrEqual(1);
            await turn();
          },
        });
        expect(await saved).toBe(true);
      }
      expect(snapshotIds(storage)).toEqual({ headers: [index], parts: [index] });
      expect(storage.latestSnapshot()?.state).toEqual(state);
    }
    expect(largest).toBe(2);
  });
});

describe("snapshots written in turns", () => {
  test("the event loop runs between the parts of a snapshot written in turns", async () => {
    const storage = openStorage(dataDir(), { partSize: 3, sliceMs: 0 });
    cleanups.push(() => storage.close());
    const state = stateWith(sessions(60), 1);
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const saving = storage.saveSnapshotInTurns(state, 1000);
    // Nothing is written in the turn that started it but the staging: the rest comes later.
    expect(storage.db.query("SELECT COUNT(*) AS n FROM snapshots").get()).toEqual({ n: 0 });
    expect(await saving).toBe(true);
    running = false;
    // 60 elements in parts of 3: 20 parts, and a turn after every element at a 0 ms slice.
    expect(ticks).toBeGreaterThanOrEqual(20);
    expect(storage.latestSnapshot()?.state).toEqual(state);
  });

  test("a crash while a snapshot is written in turns leaves the previous one whole; the next one deletes what was staged", async () => {
    const dir = dataDir();
    const storage = openStorage(dir);
    const previous = stateWith(sessions(5), 1);
    expect(storage.saveSnapshot(previous, 1000)).toBe(true);
    const crashing = storage.saveSnapshotInTurns(stateWith(sessions(9), 2), 2000, {
      nextTurn: async () => {
        // Once the first parts are staged (after the whole state was serialised).
        if (snapshotIds(storage).parts.includes(2)) throw new Error("the process died here");
      },
    });
    await expect(crashing).rejects.toThrow("the process died here");
    expect(snapshotIds(storage)).toEqual({ headers: [1], parts: [1, 2] });
    storage.close();

    const reopened = openStorage(dir);
    cleanups.push(() => reopened.close());
    expect(reopened.latestSnapshot()?.state).toEqual(previous);
    const next = stateWith(sessions(7), 3);
    expect(await reopened.saveSnapshotInTurns(next, 3000)).toBe(true);
    expect(snapshotIds(reopened)).toEqual({ headers: [2], parts: [2] });
    expect(reopened.latestSnapshot()?.state).toEqual(next);
  });

  test("the older snapshot's parts go after the new header commits; a crash meanwhile leaves them to the next snapshot", async () => {
    const dir = dataDir();
    const storage = openStorage(dir);
    expect(storage.saveSnapshot(stateWith(sessions(9), 1), 1000)).toBe(true);
    const newer = stateWith(sessions(9), 2);
    const seen: { headers: number[]; parts: number[] }[] = [];
    const crashing = storage.saveSnapshotInTurns(newer, 2000, {
      nextTurn: async () => {
        const ids = snapshotIds(storage);
        seen.push(ids);
        // The new header committed and the first older part is gone: the process dies here.
        if (ids.headers[0] === 2 && ids.parts.includes(1)) throw new Error("the process died here");
      },
    });
    await expect(crashing).rejects.toThrow("the process died here");
    // Until the header committed, the older snapshot stayed whole beside the staged parts.
    expect(seen.some(({ headers, parts }) => headers[0] === 1 && parts.length === 2)).toBe(true);
    expect(snapshotIds(storage)).toEqual({ headers: [2], parts: [1, 2] });
    storage.close();

    const reopened = openStorage(dir);
    cleanups.push(() => reopened.close());
    expect(reopened.latestSnapshot()?.state).toEqual(newer);
    const next = stateWith(sessions(7), 3);
    expect(await reopened.saveSnapshotInTurns(next, 3000)).toBe(true);
    expect(snapshotIds(reopened)).toEqual({ headers: [3], parts: [3] });
    expect(reopened.latestSnapshot()?.state).toEqual(next);
  });

  test("SQLite's automatic checkpoint is off while a snapshot is written in turns, and back on after", async () => {
    const storage = openStorage(dataDir());
    cleanups.push(() => storage.close());
    const threshold = () =>
      (storage.db.query("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number })
        .wal_autocheckpoint;
    const before = threshold();
    expect(before).toBeGreaterThan(0);
    const during: number[] = [];
    const saved = storage.saveSnapshotInTurns(stateWith(sessions(20), 1), 1000, {
      nextTurn: async () => {
        during.push(threshold());
        await turn();
      },
    });
    expect(await saved).toBe(true);
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during)).toEqual(new Set([0]));
    expect(threshold()).toBe(before);
  });

  test("a snapshot at once (shutdown's) supersedes one being written in turns, which then writes nothing", async () => {
    const storage = openStorage(dataDir());
    cleanups.push(() => storage.close());
    const atOnce = stateWith(sessions(4), 2);
    let saidOnce = false;
    const inTurns = storage.saveSnapshotInTurns(stateWith(sessions(30), 1), 1000, {
      nextTurn: async () => {
        if (!saidOnce) {
          saidOnce = true;
          expect(storage.saveSnapshot(atOnce, 2000)).toBe(true);
        }
        await turn();
      },
    });
    expect(await inTurns).toBe(false);
    expect(snapshotIds(storage)).toEqual({ headers: [1], parts: [1] });
    expect(storage.latestSnapshot()?.state).toEqual(atOnce);
  });
});

describe("a running server's snapshot in turns", () => {
  async function readAll(server: TestServer) {
    const bodies: Record<string, unknown> = {};
    for (const path of [
      "/api/analytics/summary",
      "/api/analytics/sessions?limit=10000",
      "/api/analytics/sessions/bulk-5990",
      "/api/analytics/detailed",
    ]) {
      const response = await server.request(path, { auth: true });
      bodies[path] = { status: response.status, body: await response.json() };
    }
    return bodies;
  }

  test("events committed while a snapshot is written in turns are not in it: a crash replays them once, and every read answers as before", async () => {
    const dir = dataDir();
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const first = startTestServer({ DATA_DIR: dir }, { clock });
    first.services.lifecycle.stopTimers();
    // More sessions than one part holds, each with a journey the events below lengthen.
    for (let start = 0; start < 6000; start += 500) {
      const batch = Array.from({ length: 500 }, (_, offset) =>
        pageview(`bulk-${start + offset}`, "/bulk", { country: "India" }),
      );
      expect((await first.postEvent(batch)).status).toBe(201);
    }
    let posted = 0;
    // A turn after every element: the events below arrive before most sessions are serialised.
    const saved = await first.services.saveSnapshotInTurns({
      sliceMs: 0,
      nextTurn: async () => {
        // Changes a session the snapshot holds, in place, while it is being written.
        if (posted < 3) {
          const event = pageview("bulk-5990", `/during-${posted}`);
          expect((await first.postEvent(event)).status).toBe(201);
          posted++;
        }
        await turn();
      },
    });
    expect(saved).toBe(true);
    expect(posted).toBe(3);
    const before = await readAll(first);
    // A crash: no snapshot at shutdown.
    first.server.stop(true);
    first.services.database.db.close();

    const second = startTestServer({ DATA_DIR: dir }, { clock });
    cleanups.push(() => second.stop());
    expect(second.services.restored).toMatchObject({ fromSnapshot: true, replayedEvents: 3 });
    expect(await readAll(second)).toEqual(before);
  });
  test("while a snapshot in turns reads the state, events are answered but applied only after, and go in the next snapshot", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 14, 0, 0));
    const server = startTestServer({}, { clock });
    cleanups.push(() => server.stop());
    server.services.lifecycle.stopTimers();
    const { services } = server;
    for (let start = 0; start < 1200; start += 400) {
      const batch = Array.from({ length: 400 }, (_, offset) => pageview(`bulk-${start + offset}`));
      expect((await server.postEvent(batch)).status).toBe(201);
    }
    const heldAt = services.pipeline.position;
    const activeIds = (state: unknown) =>
      (state as LiveState).store.sessions.active.map(({ session_id }) => session_id);
    let turnsBeforeRead = 0;
    let read = false;
    let answered = 0;
    const saved = await services.saveSnapshotInTurns({
      sliceMs: 0,
      nextTurn: async () => {
        if (!read) {
          turnsBeforeRead++;
          if (answered < 2) {
            const response = await server.postEvent(pageview(`during-${answered}`));
            expect(response.status).toBe(201);
            answered++;
          }
          // Committed and answered, but the state being read has not moved.
          expect(services.pipeline.position).toBe(heldAt);
          expect(services.live.session("during-0")).toBeUndefined();
        }
        await turn();
      },
      read: () => {
        read = true;
        // Released as the state has been read whole: the events held meanwhile are applied.
        expect(services.pipeline.position).toBe(heldAt + 2);
      },
    });
    expect(saved).toBe(true);
    expect(answered).toBe(2);
    // The state was read over many turns: a turn after every session at a 0 ms slice.
    expect(turnsBeforeRead).toBeGreaterThanOrEqual(1200);
    expect(services.live.session("during-1")).toBeDefined();
    const first = services.database.latestSnapshot();
    expect(first?.position).toBe(heldAt);
    expect(activeIds(first?.state)).toHaveLength(1200);
    expect(activeIds(first?.state)).not.toContain("during-0");

    expect(await services.saveSnapshotInTurns()).toBe(true);
    const next = services.database.latestSnapshot();
    expect(next?.position).toBe(heldAt + 2);
    expect(activeIds(next?.state)).toContain("during-0");
    expect(activeIds(next?.state)).toContain("during-1");
  });
});
