import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { summaryResponseSchema } from "../../schemas/responses.ts";
import { statusResponseSchema } from "../../schemas/server-responses.ts";
import {
  type DashboardClient,
  eventually,
  type Frame,
  pageview,
  type TestServer,
} from "../support/server.ts";
import { readText, useTestServers } from "../support/test-servers.ts";

const STATS_MAX_PAGES = 5;
const LONG = 2000;
/** Five listed pages of ~2,000 characters, (other), and the rest of the stats: well under this. */
const SMALL = (STATS_MAX_PAGES + 1) * (LONG + 100) + 1000;

const longPage = (index: number) => `/${String(index).padStart(5, "0")}-${"x".repeat(LONG)}`;

function expectBoundedStats(stats: { pages_visited: Record<string, number> }) {
  expect(Object.keys(stats.pages_visited).length).toBeLessThanOrEqual(STATS_MAX_PAGES + 1);
  expect(JSON.stringify(stats).length).toBeLessThan(SMALL);
}

describe("a visitor filling today's pages with long paths", () => {
  let server: TestServer;
  let watchingAll: DashboardClient;
  let watchingCalm: DashboardClient;
  const answers: string[] = [];
  const running = useTestServers(afterAll);

  beforeAll(async () => {
    server = running.start({
      STATS_MAX_PAGES: String(STATS_MAX_PAGES),
      MAX_TRACKED_KEYS: "5000",
      // ~490 pages of ~2,000 bytes fit; the rest fold into (other).
      MAX_TRACKED_KEY_BYTES: "1000000",
    });
    // Coalesced, as Footfall's dashboard asks: 1,000 events arrive as a few batches.
    watchingAll = await running.dashboard(`${server.wsUrl}&batch=1`);
    watchingCalm = await running.dashboard(server.wsUrl);
    watchingCalm.send({ type: "subscribe", data: { filter: { site: "calm" } } });
    await watchingCalm.next("subscribed");
    // 1,000 distinct pages of 2,000 characters in three batches (each under MAX_BATCH_BYTES).
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 334 }, (_, offset) => {
        const index = batch * 334 + offset;
        return pageview(`flood-${index % 20}`, longPage(index), { site: "flood" });
      });
      const response = await server.postEvent(events);
      expect(response.status).toBe(201);
      answers.push(await response.text());
    }
    for (const event of [pageview("flood-1", longPage(1), { site: "flood" })]) {
      const response = await server.postEvent(event);
      expect(response.status).toBe(201);
      answers.push(await response.text());
    }
  });

  test("every ingestion answer lists at most STATS_MAX_PAGES pages and (other), with the total", () => {
    expect(answers).toHaveLength(4);
    for (const text of answers) {
      expect(text.length).toBeLessThan(SMALL);
      const stats = JSON.parse(text).data.current_stats;
      expectBoundedStats(stats);
      expect(stats.pages_total).toBeGreaterThan(STATS_MAX_PAGES);
    }
    const last = JSON.parse(answers[3] as string).data.current_stats;
    expect(last.total_today).toBe(1003);
    // The most viewed page first; the others tie at one view and are ranked by name.
    expect(Object.keys(last.pages_visited)).toEqual([
      longPage(1),
      longPage(0),
      longPage(2),
      longPage(3),
      longPage(4),
      "(other)",
    ]);
    expect(last.pages_visited[longPage(1)]).toBe(2);
    const listed = Object.values(last.pages_visited as Record<string, number>);
    expect(listed.reduce((a, b) => a + b, 0)).toBe(1003);
  });

  test("the summary and the detailed view stay small and agree", async () => {
    const summaryText = await readText(server, "/api/analytics/summary");
    expect(summaryText.length).toBeLessThan(SMALL);
    const summary = JSON.parse(summaryText);
    expect(summaryResponseSchema.safeParse(summary).error?.issues ?? []).toEqual([]);
    expectBoundedStats(summary.data.summary);
    // Distinct pages counted: those within the byte budget of the day's keys.
    expect(summary.data.summary.pages_total).toBeGreaterThan(400);
    expect(summary.data.summary.pages_total).toBeLessThan(500);
    const detailed = JSON.parse(await readText(server, "/api/analytics/detailed?site=flood"));
    expectBoundedStats(detailed.data.summary);
    expect(detailed.data.summary).toEqual(summary.data.summary);
    expect(detailed.data.top_pages.length).toBeLessThanOrEqual(10);
  });

  test("status shows the pages past the byte budget folded, and the budget", async () => {
    const status = JSON.parse(await readText(server, "/api/status"));
    expect(statusResponseSchema.safeParse(status).error?.issues ?? []).toEqual([]);
    expect(status.data.today.pages).toBeLessThan(500);
    expect(status.data.today.key_bytes.pages).toBeLessThanOrEqual(1_000_000);
    expect(status.data.today.max_tracked_key_bytes).toBe(1_000_000);
  });

  test("dashboards get small stats in every frame, and one watching another site stays connected", async () => {
    let closed = false;
    void watchingCalm.closed.then(() => {
      closed = true;
    });
    watchingAll.send({ type: "request_detailed_stats", data: {} });
    const detailed = await watchingAll.next("detailed_stats_response");
    expectBoundedStats(detailed.data.summary as { pages_visited: Record<string, number> });
    expect(await server.postEvent(pageview("calm-1", "/calm", { site: "calm" }))).toHaveProperty(
      "status",
      201,
    );
    const update = await watchingCalm.next("visitor_update");
    expect(update.data.stats).toMatchObject({
      total_today: 1,
      pages_visited: { "/calm": 1 },
      pages_total: 1,
    });
    await eventually(() =>
      watchingAll.frames.some(
        (frame) =>
          (frame.type === "visitor_update" &&
            (frame.data.event as { site: string }).site === "calm") ||
          (frame.type === "visitor_batch" &&
            (frame.data.events as { site: string }[]).some((event) => event.site === "calm")),
      ),
    );
    const withStats = watchingAll.frames.filter(
      (frame: Frame) => frame.type === "visitor_update" || frame.type === "visitor_batch",
    );
    expect(withStats.length).toBeGreaterThan(0);
    for (const frame of withStats) {
      expectBoundedStats(frame.data.stats as { pages_visited: Record<string, number> });
    }
    expect(closed).toBe(false);
    expect(watchingCalm.socket.readyState).toBe(WebSocket.OPEN);
    expect(watchingAll.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe("sessions with long journeys past the live state's byte budget", () => {
  const running = useTestServers(afterAll);
  let server: TestServer;
  beforeAll(() => {
    server = running.start({ MAX_LIVE_STATE_BYTES: String(1024 * 1024) });
  });

  test("the least recently active sessions end as evicted and the reported bytes stay under the budget", async () => {
    const dashboard = await running.dashboard(server.wsUrl);
    const evicted = new Set<string>();
    const collect = () => {
      for (const frame of dashboard.frames) {
        if (frame.type === "session_ended" && frame.data.reason === "evicted")
          evicted.add(frame.data.session_id as string);
        if (frame.type === "visitor_batch")
          for (const ended of (frame.data.ended ?? []) as { session_id: string; reason: string }[])
            if (ended.reason === "evicted") evicted.add(ended.session_id);
      }
    };
    // 30 sessions of 30 distinct pages of 2,000 characters: ~3.6 MB as UTF-16.
    for (let session = 0; session < 30; session++) {
      const events = Array.from({ length: 30 }, (_, view) =>
        pageview(`long-${session}`, longPage(session * 100 + view)),
      );
      expect((await server.postEvent(events)).status).toBe(201);
      const status = JSON.parse(await readText(server, "/api/status")).data;
      expect(status.live_state.max_bytes).toBe(1024 * 1024);
      expect(status.live_state.bytes).toBeLessThanOrEqual(1024 * 1024);
    }
    const status = JSON.parse(await readText(server, "/api/status")).data;
    expect(status.active_sessions.count).toBeLessThan(30);
    await eventually(() => {
      collect();
      return evicted.size === 30 - status.active_sessions.count;
    });
    expect(evicted.has("long-0")).toBe(true);
    expect(evicted.has("long-29")).toBe(false);
  });
});
