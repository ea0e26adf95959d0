import { describe, expect, test } from "bun:test";
import type { ServerFrame } from "../../dashboard/protocol.ts";
import { LEAVE_GRACE_MS } from "../../dashboard/session-list.ts";
import { DashboardState } from "../../dashboard/state.ts";
import { ManualClock } from "../../services/clock.ts";
import { type DashboardClient, eventually, pageview, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

// The Live view's reads over a real server on port 0 and real WebSocket clients: visitors right
// now, sessions that read as visits, ended sessions kept, and a navigation that is not a leave.
const { start, stop, dashboard, dataDir } = useTestServers();

const batchingUrl = (server: TestServer) => `${server.wsUrl}&batch=1`;

async function read(server: TestServer, path: string) {
  const response = await server.request(path, { auth: true });
  expect(response.status).toBe(200);
  return (await response.json()).data;
}

/** A visit as a tracked page sends it: a campaign, a referrer, the page's title. */
const landing = (sessionId: string, extra: Record<string, unknown> = {}) =>
  pageview(sessionId, "/landing", {
    title: "Spring sale",
    country: "DE",
    user_id: "user-secret",
    utm_source: "newsletter",
    utm_campaign: "spring",
    metadata: { device: "mobile", referrer: "https://news.example/today" },
    ...extra,
  });

const statsOf = (frame: { data: Record<string, unknown> }) =>
  frame.data.stats as Record<string, number>;

describe("visitors right now", () => {
  test("answers and frames carry visitors_right_now: one visitor with two sessions counts once", async () => {
    const server = start();
    const each = await dashboard(server.wsUrl);
    const batching = await dashboard(batchingUrl(server));
    const posted = await server.postEvent([
      pageview("s1", "/", { user_id: "u1" }),
      pageview("s2", "/b", { user_id: "u1" }),
      pageview("s3", "/", { user_id: "u2" }),
    ]);
    expect(posted.status).toBe(201);
    // An ingestion answer stays exactly the earlier system's body.
    expect(Object.keys((await posted.json()).data.current_stats).sort()).toEqual([
      "pages_total",
      "pages_visited",
      "total_active",
      "total_today",
    ]);
    const summary = await read(server, "/api/analytics/summary");
    expect(summary.summary.visitors_right_now).toBe(2);
    expect((await read(server, "/api/analytics/summary?page=/b")).summary.visitors_right_now).toBe(
      1,
    );
    const detailed = await read(server, "/api/analytics/detailed");
    expect(detailed.summary.visitors_right_now).toBe(2);

    const lastStats = (client: DashboardClient) =>
      client.frames
        .filter((frame) => frame.type === "visitor_update" || frame.type === "visitor_batch")
        .map(statsOf)
        .at(-1);
    await eventually(() => lastStats(each)?.visitors_right_now === 2);
    await eventually(() => lastStats(batching)?.visitors_right_now === 2);
    each.send({ type: "request_detailed_stats" });
    const answer = await each.next("detailed_stats_response");
    expect((answer.data.summary as Record<string, number>).visitors_right_now).toBe(2);
  });
});

describe("sessions read as visits", () => {
  test("lists, the session by id and session_activity carry entry page, source and title, never the visitor's ids", async () => {
    const server = start();
    const client = await dashboard(server.wsUrl);
    await server.postEvent(landing("visit-1"));
    await server.postEvent(pageview("visit-1", "/pricing", { title: "Pricing", country: "DE" }));
    const expected = {
      entry_page: "/landing",
      current_page: "/pricing",
      source: "newsletter",
      title: "Pricing",
      utm_campaign: "spring",
      referrer: "https://news.example/today",
      device: "mobile",
    };
    const list = await read(server, "/api/analytics/sessions");
    expect(list.sessions[0]).toMatchObject(expected);
    const one = await read(server, "/api/analytics/sessions/visit-1");
    expect(one.session).toMatchObject(expected);
    expect(one.session.ended_at).toBeUndefined();
    const detailed = await read(server, "/api/analytics/detailed");
    expect(detailed.active_sessions[0]).toMatchObject(expected);
    const activity = await client.next(
      "session_activity",
      (frame) => frame.data.current_page === "/pricing",
    );
    expect(activity.data).toMatchObject(expected);
    for (const body of [list, one, detailed.active_sessions, activity.data]) {
      const json = JSON.stringify(body);
      expect(json).not.toContain("user-secret");
      expect(json).not.toContain("visitor_key");
    }
  });

  test("a visit with no campaign and no referrer comes from Direct / None", async () => {
    const server = start();
    await server.postEvent(pageview("direct", "/"));
    const { session } = await read(server, "/api/analytics/sessions/direct");
    expect(session).toMatchObject({ entry_page: "/", source: "Direct / None" });
  });
});

describe("ended sessions stay viewable", () => {
  test("GET /api/analytics/sessions/:id answers for a session that just ended, journey, ended_at and end_reason included", async () => {
    const server = start();
    await server.postEvent(landing("leaver"));
    await server.postEvent(pageview("leaver", "/checkout", { country: "DE" }));
    const endedAt = Date.now();
    await server.postEvent({ type: "session_end", page: "/checkout", session_id: "leaver" });
    const { session } = await read(server, "/api/analytics/sessions/leaver");
    expect(session).toMatchObject({
      session_id: "leaver",
      journey: ["/landing", "/checkout"],
      entry_page: "/landing",
      current_page: "/checkout",
      end_reason: "ended",
      page_views: 2,
      country: "DE",
    });
    expect(Math.abs(Date.parse(session.ended_at) - endedAt)).toBeLessThan(5_000);
    expect((await server.request("/api/analytics/sessions/nobody", { auth: true })).status).toBe(
      404,
    );
  });

  test("a session that resumed is answered live, not as ended; an ended one is still there after a restart", async () => {
    const dir = dataDir();
    const server = start({ DATA_DIR: dir });
    await server.postEvent(pageview("returner", "/a"));
    await server.postEvent({ type: "session_end", page: "/a", session_id: "returner" });
    await server.postEvent(pageview("returner", "/b"));
    const live = (await read(server, "/api/analytics/sessions/returner")).session;
    expect(live.ended_at).toBeUndefined();
    expect(live.journey).toEqual(["/a", "/b"]);

    await server.postEvent(pageview("gone", "/x"));
    await server.postEvent({ type: "session_end", page: "/x", session_id: "gone" });
    await stop(server);
    const again = start({ DATA_DIR: dir });
    const kept = (await read(again, "/api/analytics/sessions/gone")).session;
    expect(kept).toMatchObject({ journey: ["/x"], end_reason: "ended" });
  });
});

describe("a navigation is not a leave", () => {
  for (const [delivery, url] of [
    ["one frame per event", (server: TestServer) => server.wsUrl],
    ["coalesced (?batch=1, as the dashboard connects)", batchingUrl],
  ] as const) {
    test(`session_end then the next page within the grace: the dashboard's state never shows the visitor leaving (${delivery})`, async () => {
      const server = start();
      const client = await dashboard(url(server));
      const clock = new ManualClock(Date.now());
      const state = new DashboardState({ now: () => clock.now(), wakeIn: () => {} });
      const shownActive: (number | undefined)[] = [];
      const follow = (frame: { type: string; data: unknown }) => {
        state.receive(frame as ServerFrame);
        shownActive.push(state.activeShown);
      };
      client.socket.addEventListener("message", (message) =>
        follow(JSON.parse(String(message.data))),
      );
      await server.postEvent([pageview("reader", "/one"), pageview("other", "/")]);
      await eventually(() => state.sessions.has("reader") && state.activeShown === 2);
      const from = shownActive.length;

      // pagehide on /one sends session_end; the next page's pageview resumes the session.
      await server.postEvent({ type: "session_end", page: "/one", session_id: "reader" });
      await eventually(() => state.sessions.get("reader")?.state === "leaving");
      // The server's own counts drop at once (the seed's contract), the dashboard's do not.
      expect((await read(server, "/api/analytics/summary")).summary.total_active).toBe(1);
      await server.postEvent(pageview("reader", "/two"));
      await eventually(() => state.sessions.get("reader")?.current_page === "/two");
      expect(state.sessions.get("reader")?.state).toBe("active");
      expect(state.sessions.get("reader")?.journey).toEqual(["/one", "/two"]);
      expect(state.feed.some((event) => event.type === "session_end")).toBe(false);
      clock.advance(LEAVE_GRACE_MS);
      state.sweep();
      expect(state.sessions.get("reader")?.state).toBe("active");
      expect(shownActive.slice(from).filter((count) => count !== undefined && count < 2)).toEqual(
        [],
      );

      // Without a resume, the grace passes and the visitor has left.
      await server.postEvent({ type: "session_end", page: "/", session_id: "other" });
      await eventually(() => state.sessions.get("other")?.state === "leaving");
      expect(state.activeShown).toBe(2);
      clock.advance(LEAVE_GRACE_MS);
      state.sweep();
      expect(state.sessions.get("other")?.state).toBe("left");
      expect(state.activeShown).toBe(1);
    });
  }
});
