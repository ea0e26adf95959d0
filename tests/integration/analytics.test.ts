import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  detailedResponseSchema,
  sessionResponseSchema,
  sessionsResponseSchema,
  summaryResponseSchema,
} from "../../schemas/responses.ts";
import { healthSchema, statusResponseSchema } from "../../schemas/server-responses.ts";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";

const CLIENT_TIMESTAMP = "2026-01-02T03:04:05.678+02:00";

async function read(server: TestServer, path: string) {
  const response = await server.request(path, { auth: true });
  expect(response.status).toBe(200);
  return (await response.json()).data;
}

describe("read API", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = startTestServer();
    const events = [
      pageview("in-1", "/home", { country: "India", metadata: { device: "mobile" } }),
      pageview("in-1", "/products", { country: "India", metadata: { device: "mobile" } }),
      pageview("in-2", "/home", { country: "India", metadata: { device: "desktop" } }),
      pageview("us-1", "/home", { country: "US", site: "shop", metadata: { device: "desktop" } }),
      pageview("us-1", "/products", { country: "US", site: "shop", timestamp: CLIENT_TIMESTAMP }),
    ];
    for (const event of events) expect((await server.postEvent(event)).status).toBe(201);
  });
  afterAll(() => server.stop());

  test("the summary counts every active session and today's pageviews", async () => {
    const data = await read(server, "/api/analytics/summary");
    expect(data.summary).toEqual({
      total_active: 3,
      total_today: 5,
      pages_visited: { "/home": 3, "/products": 2 },
      pages_total: 2,
      visitors_right_now: 3,
    });
    expect(data.filters_applied).toEqual({});
    expect(Date.parse(data.generated_at)).not.toBeNaN();
    expect(data).not.toHaveProperty("filtered_data");
  });

  test("a filtered summary also carries filtered_data: the sessions, breakdown and recent events under the filter", async () => {
    const data = await read(server, "/api/analytics/summary?country=India");
    const filtered = data.filtered_data;
    expect(filtered.summary).toEqual(data.summary);
    expect(filtered.sessions.map((session: { session_id: string }) => session.session_id)).toEqual([
      "in-2",
      "in-1",
    ]);
    expect(filtered.active_sessions_total).toBe(2);
    expect(filtered.country_breakdown).toEqual({ India: 3 });
    expect(filtered.recent_events).toHaveLength(3);
    expect(filtered.recent_events[0]).toMatchObject({ session_id: "in-2", country: "India" });
    const byPage = await read(server, "/api/analytics/summary?page=/products");
    expect(
      byPage.filtered_data.sessions.map((session: { session_id: string }) => session.session_id),
    ).toEqual(["us-1", "in-1"]);
  });

  test("a country filter counts only that country", async () => {
    const data = await read(server, "/api/analytics/summary?country=India");
    expect(data.summary).toEqual({
      total_active: 2,
      total_today: 3,
      pages_visited: { "/home": 2, "/products": 1 },
      pages_total: 2,
      visitors_right_now: 2,
    });
    expect(data.filters_applied).toEqual({ country: "India" });
  });

  test("a page filter counts sessions currently on it and today's views of it", async () => {
    const data = await read(server, "/api/analytics/summary?page=/products");
    expect(data.summary).toEqual({
      total_active: 2,
      total_today: 2,
      pages_visited: { "/products": 2 },
      pages_total: 1,
      visitors_right_now: 2,
    });
  });

  test("country and page filters intersect", async () => {
    const data = await read(server, "/api/analytics/summary?country=India&page=/home");
    expect(data.summary).toEqual({
      total_active: 1,
      total_today: 2,
      pages_visited: { "/home": 2 },
      pages_total: 1,
      visitors_right_now: 1,
    });
  });

  test("a site filter counts only that site", async () => {
    const data = await read(server, "/api/analytics/summary?site=shop");
    expect(data.summary).toEqual({
      total_active: 1,
      total_today: 2,
      pages_visited: { "/home": 1, "/products": 1 },
      pages_total: 2,
      visitors_right_now: 1,
    });
  });

  test("sessions are listed most recently active first with their journeys", async () => {
    const data = await read(server, "/api/analytics/sessions");
    expect(data.total_count).toBe(3);
    expect(data.sessions.map((session: { session_id: string }) => session.session_id)).toEqual([
      "us-1",
      "in-2",
      "in-1",
    ]);
    const india = data.sessions[2];
    expect(india).toMatchObject({
      session_id: "in-1",
      current_page: "/products",
      journey: ["/home", "/products"],
      country: "India",
      device: "mobile",
      page_views: 2,
    });
    for (const key of ["duration", "started_at", "last_activity"])
      expect(india).toHaveProperty(key);
  });

  test("total_count counts every match before the limit", async () => {
    const data = await read(server, "/api/analytics/sessions?country=India&limit=1");
    expect(data.sessions).toHaveLength(1);
    expect(data.total_count).toBe(2);
  });

  test("sessions say which filters applied (the given ones only) and when they were read", async () => {
    const filtered = await read(server, "/api/analytics/sessions?page=/products&limit=10");
    expect(filtered.filters_applied).toEqual({ page: "/products" });
    expect(Math.abs(Date.parse(filtered.retrieved_at) - Date.now())).toBeLessThan(60_000);
    const all = await read(server, "/api/analytics/sessions");
    expect(all.filters_applied).toEqual({});
  });

  test("a limit outside 1 to 1,000 is 400", async () => {
    for (const limit of ["0", "1001", "ten"]) {
      const response = await server.request(`/api/analytics/sessions?limit=${limit}`, {
        auth: true,
      });
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.code).toBe("validation_error");
      expect(body.details[0].path).toBe("limit");
    }
  });

  test("one session's whole journey can be read by its id, and an unknown id is 404", async () => {
    const data = await read(server, "/api/analytics/sessions/in-1");
    expect(data.session.journey).toEqual(["/home", "/products"]);
    expect((await server.request("/api/analytics/sessions/nobody", { auth: true })).status).toBe(
      404,
    );
  });

  test("the detailed view holds breakdowns, top pages, recent events and the last minute's visitors", async () => {
    const data = await read(server, "/api/analytics/detailed");
    expect(data.summary.total_today).toBe(5);
    expect(data.active_sessions).toHaveLength(3);
    expect(data.country_breakdown).toEqual({ India: 3, US: 2 });
    expect(data.device_breakdown).toEqual({ mobile: 2, desktop: 2, unknown: 1 });
    expect(data.top_pages[0]).toEqual({ page: "/home", views: 3 });
    expect(data.recent_events).toHaveLength(5);
    expect(data.recent_events[0].session_id).toBe("us-1");
    expect(data.visitors_last_minute).toBe(3);
  });

  test("the client's timestamp is kept as sent beside the server's receive time, which stands in when it sent none", async () => {
    const startedAt = Date.now() - 60_000;
    const data = await read(server, "/api/analytics/detailed");
    const [newest, previous] = data.recent_events;
    expect(newest.timestamp).toBe(CLIENT_TIMESTAMP);
    expect(Date.parse(newest.received_at)).toBeGreaterThan(startedAt);
    expect(Date.parse(newest.received_at)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(previous.received_at)).toBeGreaterThan(startedAt);
    expect(previous.timestamp).toBe(previous.received_at);
  });

  test("the device breakdown follows the site and country filters", async () => {
    expect((await read(server, "/api/analytics/detailed?country=India")).device_breakdown).toEqual({
      mobile: 2,
      desktop: 1,
    });
    expect((await read(server, "/api/analytics/detailed?site=shop")).device_breakdown).toEqual({
      desktop: 1,
      unknown: 1,
    });
    expect(
      (await read(server, "/api/analytics/detailed?site=shop&country=India")).device_breakdown,
    ).toEqual({});
  });

  test("live answers match the response schemas the OpenAPI document is built from", async () => {
    const cases = [
      ["/api/analytics/summary?country=India", summaryResponseSchema],
      ["/api/analytics/sessions", sessionsResponseSchema],
      ["/api/analytics/sessions/in-1", sessionResponseSchema],
      ["/api/analytics/detailed", detailedResponseSchema],
      ["/api/analytics/detailed?site=shop&page=/home", detailedResponseSchema],
      ["/api/status", statusResponseSchema],
    ] as const;
    for (const [path, schema] of cases) {
      const response = await server.request(path, { auth: true });
      expect(response.status).toBe(200);
      const parsed = schema.safeParse(await response.json());
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  test("a filtered detailed view narrows the summary, sessions, country breakdown and recent events", async () => {
    const data = await read(server, "/api/analytics/detailed?country=India");
    expect(data.summary.total_today).toBe(3);
    expect(data.active_sessions.map((session: { country: string }) => session.country)).toEqual([
      "India",
      "India",
    ]);
    expect(data.country_breakdown).toEqual({ India: 3 });
    expect(data.recent_events).toHaveLength(3);
    expect(new Set(data.recent_events.map((event: { country: string }) => event.country))).toEqual(
      new Set(["India"]),
    );
    expect(data.filters_applied).toEqual({ country: "India" });
  });

  test("the detailed view lists sessions as the seed did, and its filters and time beside data too", async () => {
    const response = await server.request("/api/analytics/detailed?country=India", { auth: true });
    const body = await response.json();
    expect(body.filters_applied).toEqual({ country: "India" });
    expect(body.data.filters_applied).toEqual({ country: "India" });
    expect(body.generated_at).toBe(body.data.generated_at);
    expect(body.data.sessions).toEqual(body.data.active_sessions);
    expect(body.data.sessions).toHaveLength(2);
  });

  test("status reports uptime, dashboards, events, memory, caps and version", async () => {
    const data = await read(server, "/api/status");
    expect(data.events_received).toBe(5);
    expect(data.events_last_minute).toBe(5);
    expect(data.dashboards).toEqual({
      connected: 0,
      max: 10000,
      unsent_bytes: 0,
      slow_readers_dropped: 0,
      detailed_stats_built: 0,
      detailed_stats_served: 0,
      visitor_batches_sent: 0,
      events_coalesced: 0,
      batch_events_dropped: 0,
    });
    expect(data.uptime).toBeGreaterThanOrEqual(0);
    expect(data.uptime).toBeLessThan(600);
    expect(data.events_per_second).toBeCloseTo(5 / 60, 2);
    expect(data.memory.rss).toBeGreaterThan(0);
    expect(data.memory.heap_used).toBeGreaterThan(0);
    // JavaScriptCore's heapTotal is not an upper bound of heapUsed in Bun: only that it is there.
    expect(data.memory.heap_total).toBeGreaterThan(0);
    expect(data.active_sessions).toEqual({ count: 3, max: 200000 });
    expect(data.today.max_tracked_keys).toBe(10000);
    expect(data.today.max_tracked_key_bytes).toBe(2 * 1024 * 1024);
    expect(data.live_state.max_bytes).toBe(256 * 1024 * 1024);
    expect(data.live_state.bytes).toBeGreaterThan(0);
    expect(data.live_state.bytes).toBeLessThan(64 * 1024);
    expect(data.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("status carries the seed's server_status, websocket_connections and current_analytics", async () => {
    const data = await read(server, "/api/status");
    expect(data.server_status).toBe("healthy");
    expect(data.websocket_connections).toBe(0);
    expect(data.current_analytics).toEqual({
      total_active: 3,
      total_today: 5,
      pages_visited: { "/home": 3, "/products": 2 },
    });
  });

  test("health is public and says healthy, with memory and version", async () => {
    const response = await server.request("/health");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(Object.keys(body)).toEqual(["status", "timestamp", "uptime", "memory", "version"]);
    expect(healthSchema.safeParse(body).error?.issues ?? []).toEqual([]);
    expect(body.status).toBe("healthy");
    expect(body.memory.rss).toBeGreaterThan(0);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptime).toBe("number");
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
  });
});

describe("__proto__ as a key", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = startTestServer();
    const events = [
      pageview("p-1", "/home", { country: "__proto__", site: "__proto__" }),
      pageview("p-2", "/home", { country: "__proto__", metadata: { device: "__proto__" } }),
      pageview("es-1", "/home", { country: "ES" }),
    ];
    for (const event of events) expect((await server.postEvent(event)).status).toBe(201);
  });
  afterAll(() => server.stop());

  /** The answer's text parsed with JSON.parse, which keeps "__proto__" as an own key. */
  async function answer(path: string) {
    const response = await server.request(path, { auth: true });
    expect(response.status).toBe(200);
    return JSON.parse(await response.text()).data;
  }

  test("a __proto__ country, site or device is counted and listed like any other", async () => {
    const data = await answer("/api/analytics/detailed");
    expect(Object.hasOwn(data.country_breakdown, "__proto__")).toBe(true);
    expect(data.country_breakdown).toEqual(JSON.parse('{"__proto__": 2, "ES": 1}'));
    expect(data.device_breakdown).toEqual(JSON.parse('{"__proto__": 1, "unknown": 2}'));
    const bySite = await answer("/api/analytics/detailed?site=__proto__");
    expect(bySite.summary).toMatchObject({ total_active: 1, total_today: 1 });
    expect(bySite.country_breakdown).toEqual(JSON.parse('{"__proto__": 1}'));
    const byCountry = await answer("/api/analytics/summary?country=__proto__");
    expect(byCountry.summary).toMatchObject({ total_active: 2, total_today: 2 });
    expect(byCountry.summary.pages_visited).toEqual({ "/home": 2 });
  });
});
