import { describe, expect, test } from "bun:test";
import { type DashboardClient, eventually, type Frame, pageview } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

// A dashboard that reconnects with the last log position it saw (`?since=`) is first sent what it
// missed, so a dropped connection or a restart leaves no gap in its feed.

const { start, stop, dashboard, dataDir: temporaryDataDir } = useTestServers();

interface WireEvent {
  session_id: string;
  position: number;
  metadata: { seq: number };
}

/** Every event a dashboard was sent, in the order it was sent, whatever the frame. */
function eventsReceived(client: DashboardClient): WireEvent[] {
  return client.frames.flatMap((frame: Frame) => {
    if (frame.type === "visitor_update") return [frame.data.event as WireEvent];
    if (frame.type === "visitor_batch" || frame.type === "missed_events")
      return frame.data.events as WireEvent[];
    return [];
  });
}

const lastPosition = (client: DashboardClient) =>
  Math.max(0, ...eventsReceived(client).map((event) => event.position));

/** Waits until nothing is in flight to the client: its pong comes after anything sent before. */
async function settled(client: DashboardClient): Promise<void> {
  await Bun.sleep(120);
  client.send({ type: "ping" });
  await client.next("pong", () => true);
}

describe("log positions and resuming", () => {
  test("every event frame carries its log position, one after another", async () => {
    const server = start();
    const client = await dashboard(server.wsUrl);
    await client.next("user_connected");
    for (let i = 0; i < 3; i++) await server.postEvent(pageview(`p-${i}`));
    expect((await server.postEvent([pageview("p-3"), pageview("p-4")])).status).toBe(201);
    await eventually(() => eventsReceived(client).length === 5);
    expect(eventsReceived(client).map((event) => event.position)).toEqual([1, 2, 3, 4, 5]);
  });

  for (const batching of [true, false]) {
    test(`a ${batching ? "batching" : "per-event"} dashboard cut off mid-burst and reconnected with ?since= finds every event exactly once`, async () => {
      const server = start();
      const query = batching ? "&batch=1" : "";
      const first = await dashboard(`${server.wsUrl}${query}`);
      await first.next("user_connected");

      const total = 300;
      const posts: Promise<Response>[] = [];
      const post = (i: number): void => {
        posts.push(server.postEvent(pageview(`burst-${i}`, "/", { metadata: { seq: i } })));
      };
      for (let i = 0; i < 120; i++) {
        post(i);
        if (i % 10 === 9) await Bun.sleep(5);
      }
      // The connection drops in the middle of the burst; events keep coming while it is away.
      first.close();
      await first.closed;
      for (let i = 120; i < 150; i++) post(i);
      await Promise.all(posts);
      const since = lastPosition(first);
      expect(since).toBeGreaterThan(0);
      // It comes back while the burst goes on: requests in flight as it reconnects.
      for (let i = 150; i < 170; i++) post(i);
      const second = await dashboard(`${server.wsUrl}${query}&since=${since}`);
      for (let i = 170; i < total; i++) {
        post(i);
        if (i % 10 === 9) await Bun.sleep(5);
      }
      expect((await Promise.all(posts)).every((response) => response.status === 201)).toBe(true);
      const resumed = second;
      await eventually(
        () => eventsReceived(first).length + eventsReceived(resumed).length >= total,
        10_000,
      );
      await settled(resumed);

      const seen = [...eventsReceived(first), ...eventsReceived(resumed)];
      const seqs = seen.map((event) => event.metadata.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
      const positions = seen.map((event) => event.position);
      expect(positions).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      // What it missed came first, from the log, before anything live.
      const firstEventFrame = resumed.frames.find((frame) =>
        ["missed_events", "visitor_update", "visitor_batch"].includes(frame.type),
      );
      expect(firstEventFrame?.type).toBe("missed_events");
      expect(resumed.ofType("resync")).toEqual([]);
    });
  }

  test("after a server restart a dashboard resumes from its position and misses nothing", async () => {
    const dataDir = temporaryDataDir();
    const before = start({ DATA_DIR: dataDir });
    const client = await dashboard(`${before.wsUrl}&batch=1`);
    for (let i = 0; i < 5; i++)
      await before.postEvent(pageview(`r-${i}`, "/", { metadata: { seq: i } }));
    await eventually(() => eventsReceived(client).length === 5);
    const since = lastPosition(client);
    client.close();
    // Accepted after the dashboard's connection went, before the server did.
    for (let i = 5; i < 8; i++)
      await before.postEvent(pageview(`r-${i}`, "/", { metadata: { seq: i } }));
    await stop(before);

    const after = start({ DATA_DIR: dataDir });
    const resumed = await dashboard(`${after.wsUrl}&batch=1&since=${since}`);
    await after.postEvent(pageview("r-8", "/", { metadata: { seq: 8 } }));
    await eventually(() => eventsReceived(resumed).length === 4);
    await settled(resumed);
    expect(eventsReceived(resumed).map((event) => event.metadata.seq)).toEqual([5, 6, 7, 8]);
    expect(eventsReceived(resumed).map((event) => event.position)).toEqual([6, 7, 8, 9]);
  });

  test("a dashboard further behind than 1,000 events is told to resync instead", async () => {
    const server = start();
    for (let round = 0; round < 3; round++) {
      const batch = Array.from({ length: 400 }, (_, i) => pageview(`far-${round}-${i}`));
      expect((await server.postEvent(batch)).status).toBe(201);
    }
    const behind = await dashboard(`${server.wsUrl}&batch=1&since=100`);
    const resync = await behind.next("resync");
    expect(resync.data).toEqual({ reason: "too_far_behind", position: 1200 });
    expect(behind.ofType("missed_events")).toEqual([]);

    // Exactly at the bound it is still sent every event, in frames of at most 500.
    const atBound = await dashboard(`${server.wsUrl}&batch=1&since=200`);
    await eventually(() => eventsReceived(atBound).length === 1000);
    expect(
      atBound.ofType("missed_events").map((frame) => (frame.data.events as unknown[]).length),
    ).toEqual([500, 500]);
    expect(atBound.ofType("resync")).toEqual([]);
  });

  test("a position ahead of the log, or no position at all, is answered with resync", async () => {
    const server = start();
    await server.postEvent(pageview("only"));
    for (const since of ["99", "yesterday", "-1"]) {
      const client = await dashboard(`${server.wsUrl}&since=${since}`);
      const resync = await client.next("resync");
      expect(resync.data).toEqual({ reason: "unknown_position", position: 1 });
    }
  });

  test("a dashboard that saw every event is sent nothing again, and one without ?since= no missed_events", async () => {
    const server = start();
    await server.postEvent(pageview("a"));
    await server.postEvent(pageview("b"));
    const upToDate = await dashboard(`${server.wsUrl}&since=2`);
    const fresh = await dashboard(server.wsUrl);
    await settled(upToDate);
    await settled(fresh);
    for (const client of [upToDate, fresh]) {
      expect(client.ofType("missed_events")).toEqual([]);
      expect(client.ofType("resync")).toEqual([]);
    }
  });
});
