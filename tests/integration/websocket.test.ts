import { describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import {
  DashboardClient,
  eventually,
  type Frame,
  pageview,
  TEST_TOKEN,
  type TestServer,
} from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

// Every test starts its own server (fresh counters make frame counts exact) and leaves nothing behind.
const { start, dashboard, rawSocket } = useTestServers();

/** The dashboard URL that asks for coalescing, as Footfall's own dashboard connects. */
const batchingUrl = (server: TestServer) => `${server.wsUrl}&batch=1`;

interface WireEvent {
  session_id: string;
  page: string;
  country: string;
  metadata: Record<string, unknown>;
}

/** Every event a dashboard was sent, whether one by one (visitor_update) or coalesced (visitor_batch). */
function eventsReceived(client: DashboardClient): WireEvent[] {
  return client.frames.flatMap((frame) => {
    if (frame.type === "visitor_update") return [frame.data.event as WireEvent];
    if (frame.type === "visitor_batch") return frame.data.events as WireEvent[];
    return [];
  });
}

const EVENT_FRAMES = new Set(["visitor_update", "session_activity", "visitor_batch"]);
const eventFrames = (client: DashboardClient): Frame[] =>
  client.frames.filter((frame) => EVENT_FRAMES.has(frame.type));

/** Sessions announced as ended: one a `session_ended` frame, or in a `visitor_batch`'s `ended`. */
function endedSessionIds(client: DashboardClient): string[] {
  return client.frames.flatMap((frame) => {
    if (frame.type === "session_ended") return [frame.data.session_id as string];
    if (frame.type === "visitor_batch" && Array.isArray(frame.data.ended))
      return (frame.data.ended as { session_id: string }[]).map((ended) => ended.session_id);
    return [];
  });
}

function waitForSession(client: DashboardClient, sessionId: string): Promise<void> {
  return eventually(() => eventsReceived(client).some((event) => event.session_id === sessionId));
}

async function dashboardStatus(server: TestServer) {
  const response = await server.request("/api/status", { auth: true });
  expect(response.status).toBe(200);
  return (await response.json()).data as {
    dashboards: { connected: number; max: number };
    dashboard_actions: Record<string, number>;
  };
}

interface RawUpgrade {
  socket: Socket;
  status: number;
  head: string;
  body: string;
}

/**
 * A WebSocket handshake written by hand over TCP, so a test can see the refusal's status and body,
 * send any header, or hold a connection open that never reads (socket paused on the 101).
 */
function rawUpgrade(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawUpgrade> {
  const { hostname, port } = new URL(baseUrl);
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    rawSocket(socket);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = received.subarray(0, end).toString("latin1");
      const status = Number(head.split(" ")[1]);
      if (status === 101) {
        // From here on this client never reads: what the server sends piles up.
        socket.pause();
        socket.off("data", onData);
        resolve({ socket, status, head, body: "" });
        return;
      }
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1]);
      if (Number.isNaN(length)) {
        reject(new Error(`no content-length in a ${status} answer:\n${head}`));
        return;
      }
      const body = received.subarray(end + 4);
      if (body.length < length) return;
      socket.off("data", onData);
      resolve({ socket, status, head, body: body.subarray(0, length).toString("utf8") });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n`));
  });
}

const SECURITY_HEADERS = [
  "x-content-type-options",
  "x-frame-options",
  "strict-transport-security",
  "referrer-policy",
  "cross-origin-resource-policy",
  "cross-origin-opener-policy",
  "x-xss-protection",
];
const securityHeaders = (response: Response) =>
  Object.fromEntries(SECURITY_HEADERS.map((name) => [name, response.headers.get(name)]));

/** A port nothing listens on: bound by Bun, then released. */
async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port;
  await probe.stop(true);
  if (port === undefined) throw new Error("no port");
  return port;
}

describe("WebSocket /ws", () => {
  describe("happy path", () => {
    test("a dashboard that joins is told so, and so is every dashboard already connected", async () => {
      const server = start();
      const first = await dashboard(server.wsUrl);
      const own = await first.next("user_connected");
      expect(own.data.total_dashboards).toBe(1);
      expect(new Date(String(own.data.connected_at)).toString()).not.toBe("Invalid Date");

      const second = await dashboard(server.wsUrl);
      const seenBySecond = await second.next("user_connected");
      const seenByFirst = await first.next(
        "user_connected",
        (frame) => frame.data.total_dashboards === 2,
      );
      expect(seenBySecond.data.total_dashboards).toBe(2);
      expect(seenByFirst.data.connected_at).toBe(seenBySecond.data.connected_at);
    });

    test("when a dashboard leaves, the others get user_disconnected with the new total", async () => {
      const server = start();
      const staying = await dashboard(server.wsUrl);
      const leaving = await dashboard(server.wsUrl);
      await staying.next("user_connected", (frame) => frame.data.total_dashboards === 2);
      leaving.close();
      const left = await staying.next("user_disconnected");
      expect(left.data).toEqual({ total_dashboards: 1 });
      expect((await dashboardStatus(server)).dashboards.connected).toBe(1);
    });

    test("an accepted event reaches every dashboard as visitor_update then session_activity", async () => {
      const server = start();
      const first = await dashboard(server.wsUrl);
      const second = await dashboard(batchingUrl(server));
      const metadata = { device: "mobile", referrer: "https://news.example/", plan: "pro" };
      const response = await server.postEvent(
        pageview("visitor-1", "/pricing", { country: "France", metadata }),
      );
      expect(response.status).toBe(201);

      for (const client of [first, second]) {
        const update = await client.next("visitor_update");
        expect(update.data.event).toMatchObject({
          type: "pageview",
          session_id: "visitor-1",
          page: "/pricing",
          country: "France",
          device: "mobile",
          referrer: "https://news.example/",
        });
        // The metadata as the client sent it; no client timestamp, so the receive time.
        expect((update.data.event as WireEvent).metadata).toEqual(metadata);
        const event = update.data.event as { timestamp: string; received_at: string };
        expect(event.timestamp).toBe(event.received_at);
        expect(update.data.stats).toMatchObject({
          total_active: 1,
          total_today: 1,
          pages_visited: { "/pricing": 1 },
        });
        const activity = await client.next("session_activity");
        expect(activity.data).toMatchObject({
          session_id: "visitor-1",
          current_page: "/pricing",
          journey: ["/pricing"],
          country: "France",
          device: "mobile",
        });
        expect(activity.data.duration).toBeNumber();
        expect(Date.parse(String(activity.data.last_activity))).toBe(
          Date.parse((update.data.event as { received_at: string }).received_at),
        );
        const types = client.frames.map((frame) => frame.type);
        expect(types.indexOf("visitor_update")).toBeLessThan(types.indexOf("session_activity"));
      }
    });

    test("a dashboard that did not ask for batching gets a batch of 300 events as 300 visitor_update frames", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      await client.next("user_connected");
      const events = Array.from({ length: 300 }, (_, i) =>
        pageview(`each-${i}`, `/p${i % 7}`, { metadata: { seq: i } }),
      );
      expect((await server.postEvent(events)).status).toBe(201);
      await eventually(() => client.ofType("session_activity").length >= 300);
      client.send({ type: "ping" });
      await client.next("pong");
      expect(client.ofType("visitor_batch")).toHaveLength(0);
      const seqs = client
        .ofType("visitor_update")
        .map((frame) => (frame.data.event as WireEvent).metadata.seq);
      expect(seqs).toEqual(events.map((_, i) => i));
      expect(client.ofType("session_activity")).toHaveLength(300);
    });

    test("a batching dashboard gets a batch of 300 events coalesced into far fewer frames, with no event lost or repeated", async () => {
      const server = start();
      const client = await dashboard(batchingUrl(server));
      await client.next("user_connected");
      const events = Array.from({ length: 300 }, (_, i) =>
        pageview(`burst-${i}`, `/p${i % 7}`, { metadata: { seq: i } }),
      );
      expect((await server.postEvent(events)).status).toBe(201);

      await eventually(() => eventsReceived(client).length >= 300);
      // Anything still to come would be an event sent twice.
      client.send({ type: "ping" });
      await client.next("pong");
      const seqs = eventsReceived(client).map((event) => event.metadata.seq);
      expect(seqs).toHaveLength(300);
      expect(new Set(seqs).size).toBe(300);
      expect(client.ofType("visitor_batch").length).toBeGreaterThan(0);
      expect(eventFrames(client).length).toBeLessThan(60);

      const batch = client.ofType("visitor_batch")[0] as Frame;
      expect(batch.data.stats).toMatchObject({ total_today: 300 });
      const sessions = batch.data.sessions as { session_id: string }[];
      const batchIds = new Set(sessions.map((session) => session.session_id));
      for (const event of batch.data.events as WireEvent[]) {
        expect(batchIds.has(event.session_id)).toBe(true);
      }
    });

    test("300 events posted as separate requests at once reach a batching dashboard at a bounded frame rate, none lost", async () => {
      const server = start();
      const client = await dashboard(batchingUrl(server));
      await client.next("user_connected");
      const startedAt = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          server.postEvent(pageview(`single-${i}`, "/burst", { metadata: { seq: i } })),
        ),
      );
      expect(responses.every((response) => response.status === 201)).toBe(true);

      await eventually(() => eventsReceived(client).length >= 300);
      const elapsedSeconds = (performance.now() - startedAt) / 1000;
      client.send({ type: "ping" });
      await client.next("pong");
      const seqs = eventsReceived(client).map((event) => event.metadata.seq);
      expect(new Set(seqs).size).toBe(300);
      expect(seqs).toHaveLength(300);

      const frames = eventFrames(client).length;
      expect(frames).toBeLessThan(150);
      // A burst of 20 frames, then at most 20 immediate frames and 20 ticks a second (+ slack).
      expect(frames).toBeLessThanOrEqual(20 + Math.ceil(40 * elapsedSeconds) + 5);
    });

    test("once a burst has passed, a lone event is again sent at once as visitor_update", async () => {
      const server = start();
      const client = await dashboard(batchingUrl(server));
      await server.postEvent(Array.from({ length: 100 }, (_, i) => pageview(`wave-${i}`)));
      await eventually(() => client.ofType("visitor_batch").length > 0);

      let sent = 0;
      await eventually(async () => {
        // Paced so the frame budget can refill; the arrival of each event is what is checked.
        await Bun.sleep(200);
        const sessionId = `calm-${sent++}`;
        await server.postEvent(pageview(sessionId));
        await waitForSession(client, sessionId);
        return client
          .ofType("visitor_update")
          .some((frame) => (frame.data.event as WireEvent).session_id === sessionId);
      }, 15_000);
      expect(eventsReceived(client)).toHaveLength(100 + sent);
    });

    test("a session idle past SESSION_TIMEOUT_MINUTES is announced with session_ended", async () => {
      const server = start({ SESSION_TIMEOUT_MINUTES: "0.01" });
      const client = await dashboard(server.wsUrl);
      const postedAt = performance.now();
      await server.postEvent(pageview("idle-1", "/home", { country: "Spain" }));
      const ended = await client.next(
        "session_ended",
        (frame) => frame.data.session_id === "idle-1",
      );
      expect(performance.now() - postedAt).toBeGreaterThanOrEqual(550);
      expect(ended.data).toMatchObject({
        session_id: "idle-1",
        current_page: "/home",
        country: "Spain",
        reason: "timeout",
      });
      const stats = await (await server.request("/api/analytics/summary", { auth: true })).json();
      expect(stats.data.summary.total_active).toBe(0);
    });

    test("a mass time-out reaches a batching dashboard within its frame budget, the overflow as visitor_batch ended", async () => {
      const server = start({ SESSION_TIMEOUT_MINUTES: "0.02" });
      const client = await dashboard(batchingUrl(server));
      await client.next("user_connected");
      const count = 200;
      const events = Array.from({ length: count }, (_, i) => pageview(`mass-${i}`));
      expect((await server.postEvent(events)).status).toBe(201);

      const endedIds = () => endedSessionIds(client);
      await eventually(() => endedIds().length >= count, 10_000);
      // Anything still to come would be an end sent twice.
      client.send({ type: "ping" });
      await client.next("pong");
      expect(endedIds()).toHaveLength(count);
      expect(new Set(endedIds()).size).toBe(count);

      const endFrames = client.frames.filter(
        (frame) =>
          frame.type === "session_ended" ||
          (frame.type === "visitor_batch" && Array.isArray(frame.data.ended)),
      );
      // One sweep ends all 200: the burst allowance of 20 frames, then one batch a tick.
      expect(endFrames.length).toBeLessThanOrEqual(20 + 5);
      const batch = endFrames.find((frame) => frame.type === "visitor_batch") as Frame;
      expect((batch.data.ended as { reason: string }[])[0]).toMatchObject({ reason: "timeout" });
      expect(batch.data.stats).toMatchObject({ total_active: 0 });
    });

    test("a session_end event ends its session at once with session_ended", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      await server.postEvent(pageview("leaver", "/checkout"));
      await client.next("session_activity", (frame) => frame.data.session_id === "leaver");
      await server.postEvent({ type: "session_end", page: "/checkout", session_id: "leaver" });
      const ended = await client.next(
        "session_ended",
        (frame) => frame.data.session_id === "leaver",
      );
      expect(ended.data).toMatchObject({ session_id: "leaver", reason: "ended" });
      expect(ended.data.journey).toEqual(["/checkout"]);
    });

    test("session_ended and session_activity carry a long journey's newest pages only, within a few KB", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      const longPage = (n: number) => `/${String(n).padStart(4, "0")}/${"x".repeat(2000)}`;
      const views = Array.from({ length: 50 }, (_, n) => pageview("wanderer", longPage(n)));
      expect((await server.postEvent(views)).status).toBe(201);
      const last = await client.next(
        "session_activity",
        (frame) => (frame.data.page_views as number) === 50,
      );
      // The session itself still shows the whole journey.
      const whole = await server.request("/api/analytics/sessions/wanderer", { auth: true });
      expect((await whole.json()).data.session.journey).toHaveLength(50);
      await server.postEvent({ type: "session_end", page: longPage(49), session_id: "wanderer" });
      const ended = await client.next("session_ended");
      for (const frame of [last, ended]) {
        expect(JSON.stringify(frame).length).toBeLessThan(16 * 1024);
        expect(frame.data.journey_truncated).toBe(true);
        const journey = frame.data.journey as string[];
        expect(journey.length).toBeGreaterThan(0);
        expect(journey.length).toBeLessThan(50);
        expect(journey.at(-1)).toBe(longPage(49));
      }
    });

    test("sessions ended by session_end over the frame budget arrive in visitor_batch ended, none lost", async () => {
      const server = start();
      const client = await dashboard(batchingUrl(server));
      await client.next("user_connected");
      const count = 60;
      const ids = Array.from({ length: count }, (_, i) => `burst-${i}`);
      expect((await server.postEvent(ids.map((id) => pageview(id)))).status).toBe(201);
      // Each session's own session_end comes after its end was queued: it must not cancel it.
      const ends = ids.map((id) => ({ type: "session_end", page: "/", session_id: id }));
      expect((await server.postEvent(ends)).status).toBe(201);
      const endedIds = () => endedSessionIds(client);
      await eventually(() => endedIds().length >= count, 10_000);
      expect(new Set(endedIds())).toEqual(new Set(ids));
    });

    test("a session back before its queued end went out is active, not in the batch's ended", async () => {
      const server = start();
      const client = await dashboard(batchingUrl(server));
      await client.next("user_connected");
      const fillers = (from: number) =>
        Array.from({ length: 30 }, (_, i) => pageview(`filler-${from + i}`));
      // Spend the frame budget so what follows waits for the next tick's batch.
      expect((await server.postEvent([...fillers(0), pageview("returner")])).status).toBe(201);
      const backAgain = [
        ...fillers(100),
        { type: "session_end", page: "/", session_id: "returner" },
        pageview("returner", "/next"),
        { type: "session_end", page: "/", session_id: "filler-0" },
      ];
      expect((await server.postEvent(backAgain)).status).toBe(201);
      const endedIds = () => endedSessionIds(client);
      // filler-0's end, queued in the same batch, shows the batch has gone out.
      await eventually(() => endedIds().includes("filler-0"), 10_000);
      expect(endedIds()).not.toContain("returner");
      const session = await server.request("/api/analytics/sessions/returner", { auth: true });
      expect(session.status).toBe(200);
      expect((await session.json()).data.session.current_page).toBe("/next");
    });

    test("reaching ALERT_THRESHOLD visitors in the last minute sends every dashboard a spike alert", async () => {
      const server = start({ ALERT_THRESHOLD: "3" });
      const first = await dashboard(server.wsUrl);
      const second = await dashboard(server.wsUrl);
      await server.postEvent([pageview("a"), pageview("b")]);
      await waitForSession(first, "b");
      expect(first.ofType("alert")).toHaveLength(0);

      await server.postEvent(pageview("c"));
      for (const client of [first, second]) {
        const alert = await client.next("alert", (frame) => frame.data.kind === "spike");
        expect(alert.data).toMatchObject({
          kind: "spike",
          level: "warning",
          details: { visitors_last_minute: 3, threshold: 3, window_seconds: 60 },
        });
        expect(alert.data.message).toBeString();
      }
    });

    test("request_detailed_stats is answered with detailed_stats_response to the asking dashboard alone", async () => {
      const server = start();
      const asking = await dashboard(server.wsUrl);
      const other = await dashboard(server.wsUrl);
      await server.postEvent([
        pageview("fr-1", "/a", { country: "France" }),
        pageview("fr-2", "/b", { country: "France" }),
        pageview("de-1", "/a", { country: "Germany" }),
      ]);
      asking.send({ type: "request_detailed_stats", data: { filter: { country: "France" } } });
      const answer = await asking.next("detailed_stats_response");
      expect(answer.data.filters_applied).toEqual({ country: "France" });
      expect(answer.data.summary).toMatchObject({ total_active: 2, total_today: 2 });
      expect(answer.data.active_sessions_total).toBe(2);
      const sessions = answer.data.sessions as { session_id: string; last_activity: string }[];
      expect(sessions.map((session) => session.session_id).sort()).toEqual(["fr-1", "fr-2"]);
      expect(sessions.every((session) => Date.parse(session.last_activity) > 0)).toBe(true);
      expect(answer.data.country_breakdown).toMatchObject({ France: 2 });

      // The other dashboard's pong comes after anything broadcast before it.
      other.send({ type: "ping" });
      await other.next("pong");
      expect(other.ofType("detailed_stats_response")).toHaveLength(0);
    });

    test("request_detailed_stats without a filter covers every session", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      await server.postEvent([pageview("x-1", "/a"), pageview("x-2", "/b")]);
      client.send({ type: "request_detailed_stats" });
      const answer = await client.next("detailed_stats_response");
      expect(answer.data.summary).toMatchObject({ total_active: 2, total_today: 2 });
      expect(answer.data.filters_applied).toEqual({});
    });

    test("the seed clients' top-level payloads are accepted like payloads in data", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      await server.postEvent([
        pageview("top-1", "/a", { country: "Italy" }),
        pageview("top-2", "/a", { country: "Chile" }),
      ]);
      client.send({ type: "request_detailed_stats", filter: { country: "Italy" } });
      const answer = await client.next("detailed_stats_response");
      expect(answer.data.filters_applied).toEqual({ country: "Italy" });
      expect(answer.data.summary).toMatchObject({ total_active: 1 });

      client.send({ type: "track_dashboard_action", action: "export_csv" });
      const tracked = await client.next("action_tracked");
      expect(tracked.data).toMatchObject({ action: "export_csv", count: 1 });
    });

    test("track_dashboard_action is acknowledged and counted per action in /api/status", async () => {
      const server = start();
      const first = await dashboard(server.wsUrl);
      const second = await dashboard(server.wsUrl);
      first.send({
        type: "track_dashboard_action",
        data: { action: "open_map", details: { zoom: 3 } },
      });
      expect((await first.next("action_tracked")).data).toMatchObject({
        action: "open_map",
        count: 1,
      });
      second.send({ type: "track_dashboard_action", data: { action: "open_map" } });
      expect((await second.next("action_tracked")).data).toMatchObject({
        action: "open_map",
        count: 2,
      });
      second.send({ type: "track_dashboard_action", data: { action: "filter.country" } });
      await second.next("action_tracked", (frame) => frame.data.action === "filter.country");

      const status = await dashboardStatus(server);
      expect(status.dashboard_actions).toEqual({ open_map: 2, "filter.country": 1 });
    });

    test("after subscribe a dashboard receives only matching events, while an unfiltered one gets all", async () => {
      const server = start();
      const filtered = await dashboard(server.wsUrl);
      const everything = await dashboard(server.wsUrl);
      filtered.send({ type: "subscribe", data: { filter: { country: "France" } } });
      const ack = await filtered.next("subscribed");
      expect(ack.data).toEqual({ filter: { country: "France" }, batch: false });

      await server.postEvent(pageview("de-visitor", "/", { country: "Germany" }));
      await server.postEvent(pageview("fr-visitor", "/", { country: "France" }));
      await waitForSession(everything, "fr-visitor");
      await waitForSession(filtered, "fr-visitor");

      expect(eventsReceived(everything).map((event) => event.session_id)).toEqual([
        "de-visitor",
        "fr-visitor",
      ]);
      expect(eventsReceived(filtered).map((event) => event.session_id)).toEqual(["fr-visitor"]);
      const activities = filtered.ofType("session_activity").map((frame) => frame.data.session_id);
      expect(activities).toEqual(["fr-visitor"]);
      const update = await filtered.next("visitor_update");
      expect(update.data.stats).toMatchObject({ total_active: 1, total_today: 1 });
    });

    test("subscribe with batch: true turns coalescing on for that dashboard, and batch: false off", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send({ type: "subscribe", data: { filter: {}, batch: true } });
      expect((await client.next("subscribed")).data).toEqual({ filter: {}, batch: true });
      const burst = Array.from({ length: 100 }, (_, i) => pageview(`opt-${i}`));
      expect((await server.postEvent(burst)).status).toBe(201);
      await eventually(() => eventsReceived(client).length >= 100);
      expect(client.ofType("visitor_batch").length).toBeGreaterThan(0);

      client.clear();
      client.send({ type: "subscribe", data: { filter: {}, batch: false } });
      expect((await client.next("subscribed")).data).toEqual({ filter: {}, batch: false });
      const again = Array.from({ length: 100 }, (_, i) => pageview(`each-${i}`));
      expect((await server.postEvent(again)).status).toBe(201);
      await eventually(() => client.ofType("visitor_update").length >= 100);
      expect(client.ofType("visitor_batch")).toHaveLength(0);
    });

    test("ping is answered with pong", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send({ type: "ping" });
      const pong = await client.next("pong");
      expect(pong.data.timestamp).toBeString();
    });

    test("on shutdown every dashboard gets shutdown, then a close with code 1001", async () => {
      const server = start();
      const first = await dashboard(server.wsUrl);
      const second = await dashboard(server.wsUrl);
      await first.next("user_connected", (frame) => frame.data.total_dashboards === 2);
      const stopping = server.stop();
      for (const client of [first, second]) {
        const shutdown = await client.next("shutdown");
        expect(shutdown.data.reason).toBeString();
        expect((await client.closed).code).toBe(1001);
      }
      await stopping;
    });

    test("on shutdown no frame follows the shutdown frame before the close", async () => {
      const server = start();
      const clients = [
        await dashboard(server.wsUrl),
        await dashboard(server.wsUrl),
        await dashboard(server.wsUrl),
      ];
      await clients[0]?.next("user_connected", (frame) => frame.data.total_dashboards === 3);
      await server.stop();
      for (const client of clients) {
        expect((await client.closed).code).toBe(1001);
        const types = client.frames.map((frame) => frame.type);
        expect(types).toContain("shutdown");
        expect(types.slice(types.indexOf("shutdown"))).toEqual(["shutdown"]);
      }
    });

    test("with WEBSOCKET_PORT set, a dashboard connected there on any path receives events", async () => {
      const port = await freePort();
      const server = start({ WEBSOCKET_PORT: String(port) });
      expect(server.websocketServer?.port).toBe(port);
      const onMainPort = await dashboard(server.wsUrl);
      const onOwnPort = await dashboard(`ws://127.0.0.1:${port}/live/anything?token=${TEST_TOKEN}`);
      const joined = await onOwnPort.next("user_connected");
      expect(joined.data.total_dashboards).toBe(2);

      await server.postEvent(pageview("cross-port", "/x"));
      for (const client of [onMainPort, onOwnPort]) {
        const update = await client.next("visitor_update");
        expect(update.data.event).toMatchObject({ session_id: "cross-port" });
        await client.next("session_activity");
      }
      onOwnPort.send({ type: "ping" });
      await onOwnPort.next("pong");
    });
  });

  describe("errors", () => {
    test("a malformed JSON frame gets an invalid_json error and the connection stays open", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send("{not json");
      const error = await client.next("error");
      expect(error.data.code).toBe("invalid_json");
      expect(error.data.message).toBeString();
      client.send({ type: "ping" });
      await client.next("pong");
    });

    test("an unknown message type gets an unknown_message error and the connection stays open", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send({ type: "delete_everything", data: {} });
      expect((await client.next("error")).data.code).toBe("unknown_message");
      client.send({ data: { filter: {} } });
      await eventually(() => client.ofType("error").length === 2);
      expect(client.ofType("error").map((frame) => frame.data.code)).toEqual([
        "unknown_message",
        "unknown_message",
      ]);
      client.send({ type: "ping" });
      await client.next("pong");
    });

    test("an invalid payload gets a validation_error naming the field and the connection stays open", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send({ type: "track_dashboard_action", data: { action: "no spaces allowed!" } });
      const badAction = await client.next("error");
      expect(badAction.data.code).toBe("validation_error");
      expect(JSON.stringify(badAction.data.details)).toContain("action");

      client.send({ type: "subscribe", data: { filter: { country: 42 } } });
      await eventually(() => client.ofType("error").length === 2);
      expect(client.ofType("error")[1]?.data.code).toBe("validation_error");
      expect(client.ofType("subscribed")).toHaveLength(0);

      client.send({ type: "track_dashboard_action", data: {} });
      await eventually(() => client.ofType("error").length === 3);
      expect(client.ofType("error")[2]?.data.code).toBe("validation_error");
      expect((await dashboardStatus(server)).dashboard_actions).toEqual({});

      client.send({ type: "ping" });
      await client.next("pong");
    });

    test("a JSON frame that is not an object gets an error and the connection stays open", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      const notObjects = ["null", "42", '"ping"', '[{"type":"ping"}]'];
      for (const frame of notObjects) client.send(frame);
      await eventually(() => client.ofType("error").length === notObjects.length);
      for (const error of client.ofType("error")) {
        expect(["invalid_json", "unknown_message"]).toContain(String(error.data.code));
      }
      expect(client.ofType("pong")).toHaveLength(0);
      client.send({ type: "ping" });
      await client.next("pong");
    });

    test("an error frame goes only to the dashboard that sent the bad frame", async () => {
      const server = start();
      const sender = await dashboard(server.wsUrl);
      const bystander = await dashboard(server.wsUrl);
      sender.send("]]");
      await sender.next("error");
      bystander.send({ type: "ping" });
      await bystander.next("pong");
      expect(bystander.ofType("error")).toHaveLength(0);
    });

    test("an invalid subscribe leaves the dashboard's previous subscription in place", async () => {
      const server = start();
      const client = await dashboard(server.wsUrl);
      client.send({ type: "subscribe", data: { filter: { site: "shop" } } });
      await client.next("subscribed");
      client.send({ type: "subscribe", data: { filter: { page: 7 } } });
      await client.next("error");
      await server.postEvent(pageview("blog-visitor", "/", { site: "blog" }));
      await server.postEvent(pageview("shop-visitor", "/", { site: "shop" }));
      await waitForSession(client, "shop-visitor");
      expect(eventsReceived(client).map((event) => event.session_id)).toEqual(["shop-visitor"]);
    });
  });

  describe("security and limits", () => {
    test("an upgrade without the token is refused with 401 and the JSON error body", async () => {
      const server = start();
      const refused = await rawUpgrade(server.url, "/ws");
      expect(refused.status).toBe(401);
      expect(refused.head).toMatch(/^www-authenticate: Bearer/im);
      const body = JSON.parse(refused.body);
      // The one error shape: `error` the title (as the seed's clients read it), then code and message.
      expect(body).toMatchObject({ success: false, error: "Unauthorized", code: "unauthorized" });
      expect(body.message).toBeString();
      await expect(DashboardClient.connect(server.wsUrl.replace(/\?.*$/, ""))).rejects.toThrow();
      expect((await dashboardStatus(server)).dashboards.connected).toBe(0);
    });

    test("a plain GET /ws with a valid token is 426 in the error shape with the security headers", async () => {
      const server = start();
      const response = await server.request("/ws", { auth: true });
      expect(response.status).toBe(426);
      expect(response.headers.get("upgrade")).toBe("websocket");
      expect(await response.json()).toEqual({
        success: false,
        error: "Upgrade Required",
        code: "upgrade_required",
        message: expect.any(String),
      });
      const reference = securityHeaders(await server.request("/health"));
      expect(reference["x-content-type-options"]).toBe("nosniff");
      expect(securityHeaders(response)).toEqual(reference);
    });

    test("upgrades refused with 401 and, while draining, 503 carry the same security headers", async () => {
      const server = start();
      const reference = securityHeaders(await server.request("/health"));
      const upgrade = { upgrade: "websocket", connection: "upgrade" };
      const unauthorized = await fetch(`${server.url}/ws`, { headers: upgrade });
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get("www-authenticate")).toContain("Bearer");
      expect(securityHeaders(unauthorized)).toEqual(reference);
      server.services.lifecycle.beginDraining();
      const draining = await server.request("/ws", { auth: true, headers: upgrade });
      expect(draining.status).toBe(503);
      expect((await draining.json()).code).toBe("shutting_down");
      expect(securityHeaders(draining)).toEqual(reference);
    });

    test("an upgrade with a wrong token is refused with 401", async () => {
      const server = start();
      const wrongQuery = await rawUpgrade(server.url, "/ws?token=not-the-token-at-all");
      expect(wrongQuery.status).toBe(401);
      expect(JSON.parse(wrongQuery.body).code).toBe("unauthorized");
      const wrongHeader = await rawUpgrade(server.url, "/ws", {
        Authorization: "Bearer not-the-token-at-all",
      });
      expect(wrongHeader.status).toBe(401);
      await expect(
        DashboardClient.connect(server.wsUrl.replace(TEST_TOKEN, "x".repeat(TEST_TOKEN.length))),
      ).rejects.toThrow();
    });

    test("the token in an Authorization Bearer header is accepted", async () => {
      const server = start();
      const accepted = await rawUpgrade(server.url, "/ws", {
        Authorization: `Bearer ${TEST_TOKEN}`,
      });
      expect(accepted.status).toBe(101);
      await eventually(async () => (await dashboardStatus(server)).dashboards.connected === 1);
    });

    test("the WEBSOCKET_PORT endpoint also refuses an upgrade without the token", async () => {
      const port = await freePort();
      const server = start({ WEBSOCKET_PORT: String(port) });
      const refused = await rawUpgrade(`http://127.0.0.1:${port}`, "/anything");
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body).code).toBe("unauthorized");
      expect((await dashboardStatus(server)).dashboards.connected).toBe(0);
    });

    test("a frame over WS_MAX_FRAME_BYTES closes the connection with 1009", async () => {
      const server = start({ WS_MAX_FRAME_BYTES: "1024" });
      const bystander = await dashboard(server.wsUrl);
      const client = await dashboard(server.wsUrl);
      // Just under the limit (the frame's JSON wrapping adds ~40 bytes) is still answered.
      client.send({ type: "ping", data: { padding: "x".repeat(900) } });
      await client.next("pong");
      client.send({ type: "ping", data: { padding: "x".repeat(2000) } });
      expect((await client.closed).code).toBe(1009);
      await bystander.next("user_disconnected", (frame) => frame.data.total_dashboards === 1);
      expect((await dashboardStatus(server)).dashboards.connected).toBe(1);
    });

    test("messages past WS_MESSAGES_PER_MINUTE get rate_limited errors and are not acted on", async () => {
      const server = start({ WS_MESSAGES_PER_MINUTE: "5" });
      const client = await dashboard(server.wsUrl);
      for (let i = 0; i < 5; i++) client.send({ type: "ping" });
      await eventually(() => client.ofType("pong").length === 5);
      client.send({ type: "track_dashboard_action", data: { action: "too_many" } });
      client.send({ type: "ping" });
      client.send("{not json");
      await eventually(() => client.ofType("error").length === 3);
      expect(client.ofType("error").map((frame) => frame.data.code)).toEqual([
        "rate_limited",
        "rate_limited",
        "rate_limited",
      ]);
      expect(client.ofType("pong")).toHaveLength(5);
      expect(client.ofType("action_tracked")).toHaveLength(0);
      const status = await dashboardStatus(server);
      expect(status.dashboard_actions).toEqual({});
      // Still connected: the limit answers, it does not disconnect.
      expect(status.dashboards.connected).toBe(1);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
    });

    test("the rate limit counts each dashboard on its own", async () => {
      const server = start({ WS_MESSAGES_PER_MINUTE: "2" });
      const noisy = await dashboard(server.wsUrl);
      const quiet = await dashboard(server.wsUrl);
      for (let i = 0; i < 3; i++) noisy.send({ type: "ping" });
      await noisy.next("error", (frame) => frame.data.code === "rate_limited");
      quiet.send({ type: "ping" });
      await quiet.next("pong");
      expect(quiet.ofType("error")).toHaveLength(0);
    });

    test("past MAX_DASHBOARDS the next upgrade is refused with 503, and a freed place can be taken", async () => {
      const server = start({ MAX_DASHBOARDS: "2" });
      const first = await dashboard(server.wsUrl);
      await dashboard(server.wsUrl);
      const refused = await rawUpgrade(server.url, `/ws?token=${TEST_TOKEN}`);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({
        success: false,
        error: "Too many connections",
        code: "too_many_connections",
      });
      await expect(DashboardClient.connect(server.wsUrl)).rejects.toThrow();
      expect((await dashboardStatus(server)).dashboards).toMatchObject({ connected: 2, max: 2 });

      first.close();
      await eventually(async () => (await dashboardStatus(server)).dashboards.connected === 1);
      const third = await dashboard(server.wsUrl);
      expect((await third.next("user_connected")).data.total_dashboards).toBe(2);
    });

    test("simultaneous upgrades cannot push the count past MAX_DASHBOARDS", async () => {
      const server = start({ MAX_DASHBOARDS: "2" });
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, () => rawUpgrade(server.url, `/ws?token=${TEST_TOKEN}`)),
      );
      const statuses = attempts.map((attempt) =>
        attempt.status === "fulfilled" ? attempt.value.status : 0,
      );
      expect(statuses.filter((status) => status === 101)).toHaveLength(2);
      expect(statuses.filter((status) => status === 503)).toHaveLength(4);
      expect((await dashboardStatus(server)).dashboards.connected).toBe(2);
    });

    test("a dashboard that stops reading is dropped at WS_BACKPRESSURE_BYTES while a healthy one keeps receiving", async () => {
      const server = start({
        WS_BACKPRESSURE_BYTES: "1024",
        MAX_BATCH_BYTES: String(4 * 1024 * 1024),
        MAX_EVENT_BYTES: String(64 * 1024),
      });
      const healthy = await dashboard(server.wsUrl);
      const stalled = await rawUpgrade(server.url, `/ws?token=${TEST_TOKEN}`);
      expect(stalled.status).toBe(101);
      await eventually(async () => (await dashboardStatus(server)).dashboards.connected === 2);

      const padding = "p".repeat(1024);
      const metadata = { a: padding, b: padding, c: padding, d: padding };
      let batches = 0;
      // Post ~1 MB batches until the server gives up on the stalled reader (bounded, not timed).
      while ((await dashboardStatus(server)).dashboards.connected > 1 && batches < 100) {
        const batch = Array.from({ length: 200 }, (_, i) =>
          pageview(`heavy-${batches}-${i}`, "/heavy", { metadata }),
        );
        expect((await server.postEvent(batch)).status).toBe(201);
        batches++;
      }
      expect((await dashboardStatus(server)).dashboards.connected).toBe(1);
      expect(healthy.socket.readyState).toBe(WebSocket.OPEN);

      await server.postEvent(pageview("after-drop", "/still-live"));
      await waitForSession(healthy, "after-drop");
      await healthy.next("user_disconnected", (frame) => frame.data.total_dashboards === 1);
    });
  });
});
