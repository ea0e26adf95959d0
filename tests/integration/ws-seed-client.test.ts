import { describe, expect, test } from "bun:test";
import {
  type DashboardClient,
  eventually,
  type Frame,
  type TestServer,
} from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

// The earlier system's React dashboard, as /tmp/seed-spec.md §2 describes it: it connects with no
// option (only the token added), asks for detailed stats on open, reads `visitor_update`,
// `session_activity`, `detailed_stats_response`, `alert`, `user_connected/disconnected`, and
// ignores every other type.

const { start, stop, dashboard, dataDir: temporaryDataDir } = useTestServers();

/** Connects as the seed's dashboard does, and sends what it sends on open. */
async function seedDashboard(server: TestServer): Promise<DashboardClient> {
  const client = await dashboard(server.wsUrl);
  client.send('{"type":"request_detailed_stats"}');
  return client;
}

const batchingDashboard = (server: TestServer) => dashboard(`${server.wsUrl}&batch=1`);

const DEVICES = ["mobile", "desktop", "tablet"];
const COUNTRIES = ["India", "USA", "UK", "Germany"];

/** One event as the seed's clients post it: client timestamp, device and referrer in metadata. */
function seedEvent(n: number, sessionId = `seed-${n}`) {
  return {
    type: "pageview",
    page: `/page-${n % 5}`,
    session_id: sessionId,
    timestamp: new Date().toISOString(),
    country: COUNTRIES[n % COUNTRIES.length],
    metadata: { device: DEVICES[n % DEVICES.length], referrer: `ref-${n}.example` },
  };
}

/** What the seed's dashboard reads of a visitor event; `toLowerCase` throws if device is not a string. */
function readEventAsSeed(event: Record<string, unknown>) {
  const metadata = event.metadata as { device: string; referrer?: string };
  return {
    sessionTail: (event.session_id as string).slice(-6),
    when: new Date(event.timestamp as string).getTime(),
    device: metadata.device.toLowerCase(),
    referrer: metadata.referrer,
  };
}

/** What the seed's dashboard reads of a session (SessionData); NaN here was "NaNh ago" there. */
function readSessionAsSeed(session: Record<string, unknown>) {
  return {
    id: (session.session_id as string).slice(-8),
    device: (session.device as string).toLowerCase(),
    agoMs: Date.now() - new Date(session.last_activity as string).getTime(),
    pages: (session.journey as string[]).length,
    duration: session.duration as number,
    current: session.current_page as string,
    country: session.country as string,
  };
}

describe("the seed's dashboard against Footfall", () => {
  test("its requests are answered with detailed_stats_response: summary, sessions, country_breakdown, recent_events", async () => {
    const server = start();
    const client = await seedDashboard(server);
    const first = await client.next("detailed_stats_response");
    expect(first.data.summary).toMatchObject({ total_active: 0, total_today: 0 });
    expect(first.data.sessions).toEqual([]);
    expect(first.data.recent_events).toEqual([]);
    expect(first.data.country_breakdown).toEqual({});

    for (const n of [0, 1, 4]) expect((await server.postEvent(seedEvent(n))).status).toBe(201);
    await eventually(() => client.ofType("session_activity").length === 3);
    // A filter change: the request, then the action it tracks.
    client.send('{"type":"request_detailed_stats","filter":{"country":"India"}}');
    client.send(
      '{"type":"track_dashboard_action","action":"filter_applied","details":{"country":"India"}}',
    );
    const india = await client.next("detailed_stats_response", (frame) =>
      Array.isArray(frame.data.sessions) ? frame.data.sessions.length === 2 : false,
    );
    const sessions = (india.data.sessions as Record<string, unknown>[]).map(readSessionAsSeed);
    expect(sessions.map((session) => session.country)).toEqual(["India", "India"]);
    for (const session of sessions) {
      expect(session.agoMs).toBeGreaterThanOrEqual(0);
      expect(session.agoMs).toBeLessThan(60_000);
      expect(session.pages).toBe(1);
      expect(DEVICES).toContain(session.device);
    }
    expect(india.data.summary).toMatchObject({ total_active: 2, total_today: 2 });
    expect(india.data.country_breakdown).toMatchObject({ India: 2 });
    const recent = (india.data.recent_events as Record<string, unknown>[]).map(readEventAsSeed);
    expect(recent.map((event) => event.device).sort()).toEqual(["desktop", "mobile"]);
    expect(recent.map((event) => event.referrer).sort()).toEqual([
      "ref-0.example",
      "ref-4.example",
    ]);
    await client.next("action_tracked");
    expect(client.ofType("error")).toEqual([]);
  });

  test("through 40 events a second for 5 seconds it receives every event as its own visitor_update, and a session_activity with last_activity for each; a batching dashboard gets visitor_batch", async () => {
    const server = start();
    const seed = await seedDashboard(server);
    const batching = await batchingDashboard(server);
    await seed.next("detailed_stats_response");

    const sent: ReturnType<typeof seedEvent>[] = [];
    const posts: Promise<Response>[] = [];
    const startedAt = performance.now();
    for (let n = 0; n < 200; n++) {
      // 40 a second, each from a session of its own, one event per request.
      const due = startedAt + n * 25;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      const event = seedEvent(n);
      sent.push(event);
      posts.push(server.postEvent(event));
    }
    const statuses = (await Promise.all(posts)).map((response) => response.status);
    expect(statuses.every((status) => status === 201)).toBe(true);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(4900);

    await eventually(() => seed.ofType("session_activity").length >= 200, 10_000);
    // Anything still to come would be an event sent twice.
    seed.send({ type: "ping" });
    await seed.next("pong");

    const updates = seed.ofType("visitor_update");
    expect(updates).toHaveLength(200);
    expect(seed.ofType("visitor_batch")).toHaveLength(0);
    const bySession = new Map(sent.map((event) => [event.session_id, event]));
    for (const update of updates) {
      const event = update.data.event as Record<string, unknown>;
      const posted = bySession.get(event.session_id as string);
      expect(posted).toBeDefined();
      // The event as submitted: metadata exactly as sent, the client's timestamp.
      expect(event.metadata).toEqual(posted?.metadata as Record<string, unknown>);
      expect(event.timestamp).toBe(posted?.timestamp as string);
      expect(readEventAsSeed(event).device).toBe(posted?.metadata.device as string);
      const stats = update.data.stats as { total_active: number; pages_visited: object };
      expect(stats.total_active).toBeNumber();
      expect(Object.keys(stats.pages_visited).length).toBeGreaterThan(0);
    }
    expect(
      new Set(updates.map((frame) => (frame.data.event as Frame["data"]).session_id)).size,
    ).toBe(200);

    const activities = seed.ofType("session_activity");
    expect(new Set(activities.map((frame) => frame.data.session_id))).toEqual(
      new Set(bySession.keys()),
    );
    for (const activity of activities) {
      const session = readSessionAsSeed(activity.data);
      expect(Number.isNaN(session.agoMs)).toBe(false);
      expect(session.agoMs).toBeLessThan(60_000);
      expect(session.pages).toBe(1);
      expect(session.duration).toBe(0);
    }

    // The dashboard that asked for batching got the same burst coalesced, none lost.
    const batchedEvents = () =>
      batching.frames.flatMap((frame) =>
        frame.type === "visitor_update"
          ? [frame.data.event]
          : frame.type === "visitor_batch"
            ? (frame.data.events as unknown[])
            : [],
      );
    await eventually(() => batchedEvents().length >= 200);
    expect(batching.ofType("visitor_batch").length).toBeGreaterThan(0);
    expect(batchedEvents()).toHaveLength(200);
  }, 30_000);

  test("connecting during a spike, it is sent the spike in progress and today's last milestone as alerts", async () => {
    const server = start({ ALERT_THRESHOLD: "5" });
    const watching = await seedDashboard(server);
    // 100 pageviews (a milestone) from 6 visitors (a spike).
    const events = Array.from({ length: 100 }, (_, n) => seedEvent(n, `spiker-${n % 6}`));
    for (let i = 0; i < events.length; i += 25) {
      const responses = await Promise.all(
        events.slice(i, i + 25).map((event) => server.postEvent(event)),
      );
      expect(responses.every((response) => response.status === 201)).toBe(true);
    }
    await watching.next("alert", (frame) => frame.data.kind === "spike");
    await watching.next("alert", (frame) => frame.data.kind === "milestone");

    const late = await seedDashboard(server);
    await late.next("detailed_stats_response");
    const alerts = late.ofType("alert");
    expect(alerts.map((frame) => frame.data.kind)).toEqual(["milestone", "spike"]);
    const [milestone, spike] = alerts as [Frame, Frame];
    // What the seed's AlertsPanel reads: level, message, details.
    expect(spike.data).toMatchObject({
      level: "warning",
      replayed: true,
      details: { visitors_last_minute: 6, threshold: 5, window_seconds: 60 },
    });
    expect(spike.data.message).toContain("in progress");
    const spikeAnnounced = await watching.next("alert", (frame) => frame.data.kind === "spike");
    expect(spike.data.timestamp).toBe(spikeAnnounced.data.timestamp as string);
    expect(milestone.data).toMatchObject({
      level: "info",
      replayed: true,
      details: { milestone: 100 },
    });
    // Sent to the newcomer alone: the dashboard already connected had its alerts live.
    watching.send({ type: "ping" });
    await watching.next("pong");
    expect(watching.ofType("alert").filter((frame) => frame.data.replayed)).toEqual([]);
  });

  test("after a restart a dashboard still learns of the spike in progress and today's milestone, as first announced", async () => {
    const dataDir = temporaryDataDir();
    const env = { ALERT_THRESHOLD: "5", DATA_DIR: dataDir };
    const before = start(env);
    const watching = await seedDashboard(before);
    const events = Array.from({ length: 100 }, (_, n) => seedEvent(n, `spiker-${n % 6}`));
    expect((await before.postEvent(events)).status).toBe(201);
    const announced = await watching.next("alert", (frame) => frame.data.kind === "milestone");
    await watching.next("alert", (frame) => frame.data.kind === "spike");
    await stop(before);

    const after = start(env);
    const client = await seedDashboard(after);
    await client.next("detailed_stats_response");
    const alerts = client.ofType("alert");
    expect(alerts.map((frame) => frame.data.kind)).toEqual(["milestone", "spike"]);
    expect(alerts[0]?.data.timestamp).toBe(announced.data.timestamp as string);
  });

  test("connecting when no spike is in progress, it is sent no alert", async () => {
    const server = start({ ALERT_THRESHOLD: "50" });
    expect((await server.postEvent(seedEvent(1))).status).toBe(201);
    const client = await seedDashboard(server);
    await client.next("detailed_stats_response");
    client.send({ type: "ping" });
    await client.next("pong");
    expect(client.ofType("alert")).toEqual([]);
  });
});
