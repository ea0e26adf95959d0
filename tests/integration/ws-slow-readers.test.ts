import { describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { eventually, pageview, TEST_TOKEN, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

const { start, dashboard, rawSocket } = useTestServers();

/** A client-to-server WebSocket text frame (clients must mask theirs). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  if (payload.length >= 126) throw new Error("keep test frames under 126 bytes");
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = payload.map((byte, index) => byte ^ (mask[index % 4] as number));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/**
 * A dashboard that subscribes to `filter`, waits for `subscribed`, then never reads again: the
 * WebSocket handshake by hand over TCP (Bun's own client always reads).
 */
function stalledDashboard(server: TestServer, filter: Record<string, string>): Promise<Socket> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    rawSocket(socket);
    let received = "";
    let upgraded = false;
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!upgraded) {
        if (!received.includes("\r\n\r\n")) return;
        if (!received.startsWith("HTTP/1.1 101")) {
          reject(new Error(`upgrade refused: ${received.split("\r\n")[0]}`));
          return;
        }
        upgraded = true;
        socket.write(maskedTextFrame(JSON.stringify({ type: "subscribe", data: { filter } })));
      }
      if (!received.includes('"type":"subscribed"')) return;
      // From here on this client never reads: what the server sends piles up.
      socket.off("data", onData);
      socket.pause();
      resolve(socket);
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("connect", () =>
      socket.write(
        [
          `GET /ws?token=${TEST_TOKEN} HTTP/1.1`,
          `Host: ${hostname}:${port}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
          "Sec-WebSocket-Version: 13",
          "",
          "",
        ].join("\r\n"),
      ),
    );
  });
}

/** Reads again; resolves true once the server has closed the connection, false if it stays open. */
function closedByServer(socket: Socket, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), withinMs);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.on("data", () => {});
    socket.once("end", done);
    socket.once("close", done);
    socket.once("error", done);
    socket.resume();
  });
}

const KIB = 1024;
const PER_SOCKET = 512 * KIB;
const TOTAL = 1024 * KIB;
/** Events go out one frame each (no coalescing), so queues grow in small, even steps. */
const LIMITS = {
  WS_BACKPRESSURE_BYTES: String(PER_SOCKET),
  WS_TOTAL_BACKPRESSURE_BYTES: String(TOTAL),
  WS_MAX_FRAMES_PER_SECOND: "1000",
};
const chunk = "p".repeat(1000);
/** ~4 KB an event (a metadata string may hold 1,024 characters). */
const padding = { a: chunk, b: chunk, c: chunk, d: chunk };

/** ~32 KB of events for one site, paced under the frame budget (each event its own frame). */
async function postPadded(server: TestServer, site: string, id: string): Promise<void> {
  const events = Array.from({ length: 8 }, (_, i) =>
    pageview(`${id}-${i}`, "/", { site, metadata: padding }),
  );
  expect((await server.postEvent(events)).status).toBe(201);
  await Bun.sleep(16);
}

describe("slow readers", () => {
  test("past WS_TOTAL_BACKPRESSURE_BYTES the dashboards with the most unsent bytes are dropped first, and a reading one keeps receiving", async () => {
    const server = start(LIMITS);
    const { hub } = server.services;
    const reading = await dashboard(server.wsUrl);

    let posted = 0;
    let highest = 0;
    const post = async (site: string) => {
      await postPadded(server, site, `${site}-${posted++}`);
      highest = Math.max(highest, hub.stats().unsent_bytes);
    };

    // Four dashboards stall early and pile up ~200 KB each (under the per-socket limit), once
    // the kernel's socket buffers in front of them are full.
    const early = await Promise.all(
      Array.from({ length: 4 }, () => stalledDashboard(server, { site: "early" })),
    );
    while (hub.stats().unsent_bytes < 800 * KIB && posted < 1000) await post("early");
    expect(hub.stats().unsent_bytes).toBeGreaterThanOrEqual(800 * KIB);
    expect(hub.stats().slow_readers_dropped).toBe(0);

    // Four more stall on another site: their queues grow from zero, the early ones' no more.
    // Together they pass the total budget long before any reaches the per-socket limit.
    const late = await Promise.all(
      Array.from({ length: 4 }, () => stalledDashboard(server, { site: "late" })),
    );
    await eventually(() => hub.dashboardCount === 9);
    while (hub.dashboardCount === 9 && posted < 2000) await post("late");
    expect(hub.dashboardCount).toBeLessThan(9);
    expect(hub.stats().slow_readers_dropped).toBeGreaterThan(0);
    // Checked after every quarter of the budget published and every tick: the total overshoots
    // by at most about that much before the slowest are dropped.
    expect(highest).toBeLessThanOrEqual(TOTAL * 1.5);
    await eventually(() => hub.stats().unsent_bytes <= TOTAL);

    // The early ones had the longest queues: they went first; every late one is still there.
    const dropped = 9 - hub.dashboardCount;
    // A dropped one first reads out what was queued before its close: generous on a loaded machine.
    const earlyClosed = await Promise.all(early.map((socket) => closedByServer(socket, 10_000)));
    expect(earlyClosed.filter(Boolean)).toHaveLength(dropped);
    const lateClosed = await Promise.all(late.map((socket) => closedByServer(socket, 300)));
    expect(lateClosed.filter(Boolean)).toHaveLength(0);

    expect(reading.socket.readyState).toBe(WebSocket.OPEN);
    await server.postEvent(pageview("after-the-drops", "/still-live"));
    await reading.next("visitor_update", (frame) => {
      const event = frame.data.event as { session_id: string };
      return event.session_id === "after-the-drops";
    });
  });

  test("the unsent total falls back to zero when stalled dashboards go away", async () => {
    const server = start(LIMITS);
    const { hub } = server.services;
    const stalled = await stalledDashboard(server, {});
    let posted = 0;
    while (hub.stats().unsent_bytes === 0 && posted < 1000) {
      await postPadded(server, "any", `fill-${posted++}`);
    }
    expect(hub.stats().unsent_bytes).toBeGreaterThan(0);
    stalled.destroy();
    await eventually(() => hub.dashboardCount === 0);
    expect(hub.stats().unsent_bytes).toBe(0);
  });
});
