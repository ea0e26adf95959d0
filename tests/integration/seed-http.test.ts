import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { documentedRoutes } from "../../routes/api-document.ts";
import { createApp } from "../../routes/app.ts";
import { serviceInfoSchema } from "../../schemas/server-responses.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/** What Postman and newman send with every request. */
const POSTMAN = { accept: "*/*", "user-agent": "PostmanRuntime/7.39.0" };
/** What a browser sends for a page. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** The seed collection's requests, as it makes them (with the token: reads need it here). */
describe("the seed's Postman collection, request by request", () => {
  let server: TestServer;
  const sessionId = "user-abc123def";
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  const get = (path: string) => server.request(path, { auth: true, headers: POSTMAN });

  test("GET / answers service information as JSON to a client accepting */*", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("vary")).toContain("Accept");
    const body = await response.json();
    expect(serviceInfoSchema.safeParse(body).error?.issues ?? []).toEqual([]);
    expect(body.status).toBe("running");
    expect(Object.keys(body.endpoints)).toEqual(documentedRoutes(createApp(server.services)));
    expect(body.websocket.url).toBe(`${server.url.replace(/^http/, "ws")}/ws`);
    // No Accept at all (curl, scripts) is JSON too.
    const bare = await fetch(`${server.url}/`);
    expect(bare.headers.get("content-type")).toContain("application/json");
  });

  test("GET / gives a browser the dashboard (the banner's /#token= link), and /dashboard always", async () => {
    const page = await server.request("/", { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("vary")).toContain("Accept");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain("<html");
    const dashboard = await server.request("/dashboard", { headers: POSTMAN });
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get("content-type")).toContain("text/html");
    expect(await dashboard.text()).toBe(html);
    // The page names its assets relative to the root: they load from /dashboard too.
    const asset = /(?:src|href)="\.?(\/[\w.-]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await server.request(asset as string)).status).toBe(200);
  });

  test("GET /health: healthy, timestamp, uptime, memory, version", async () => {
    const response = await get("/health");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe("healthy");
    for (const key of ["timestamp", "uptime", "memory", "version"])
      expect(body).toHaveProperty(key);
  });

  test("POST /api/events: the seed's 201 body, and its 400 with error 'Invalid event data' and details", async () => {
    const accepted = await server.request("/api/events", {
      method: "POST",
      headers: { ...POSTMAN, "content-type": "application/json" },
      body: JSON.stringify({
        type: "pageview",
        page: "/home",
        session_id: sessionId,
        timestamp: new Date().toISOString(),
        country: "India",
        metadata: { device: "mobile", referrer: "google.com" },
      }),
    });
    expect(accepted.status).toBe(201);
    const body = await accepted.json();
    expect(body.message).toBe("Event processed successfully");
    expect(body.data.current_stats.total_active).toBeGreaterThan(0);

    const refused = await server.request("/api/events", {
      method: "POST",
      headers: { ...POSTMAN, "content-type": "application/json" },
      body: JSON.stringify({ type: "invalid-type", page: "", country: "India" }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toContain("application/json");
    const error = await refused.json();
    expect(error).toMatchObject({
      success: false,
      error: "Invalid event data",
      code: "validation_error",
    });
    expect(Array.isArray(error.details)).toBe(true);
  });

  test("the analytics reads carry filtered_data, filters_applied, retrieved_at and top-level filters", async () => {
    const summary = await (await get("/api/analytics/summary?country=India")).json();
    expect(summary.data).toHaveProperty("filtered_data");
    const sessions = await (await get("/api/analytics/sessions?page=/home&limit=10")).json();
    expect(sessions.data.filters_applied).toEqual({ page: "/home" });
    expect(sessions.data).toHaveProperty("retrieved_at");
    const first = sessions.data.sessions[0];
    for (const key of ["session_id", "current_page", "journey", "duration", "country", "device"]) {
      expect(first).toHaveProperty(key);
    }
    const detailed = await (await get("/api/analytics/detailed?country=India")).json();
    expect(detailed.filters_applied).toEqual({ country: "India" });
    for (const key of ["summary", "sessions", "country_breakdown", "recent_events"]) {
      expect(detailed.data).toHaveProperty(key);
    }
    const event = detailed.data.recent_events[0];
    for (const key of ["type", "page", "session_id", "timestamp", "country", "metadata"]) {
      expect(event).toHaveProperty(key);
    }
  });

  test("GET /api/status has server_status, websocket_connections and current_analytics", async () => {
    const body = await (await get("/api/status")).json();
    expect(body.success).toBe(true);
    expect(body.data.server_status).toBe("healthy");
    expect(body.data.websocket_connections).toBe(0);
    expect(Object.keys(body.data.current_analytics)).toEqual([
      "total_active",
      "total_today",
      "pages_visited",
    ]);
  });

  test("an unknown route is 404 with error 'Not Found' and available_endpoints, on any path", async () => {
    for (const path of ["/api/nonexistent", "/nothing/here"]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      const body = await response.json();
      expect(body.error).toBe("Not Found");
      expect(body.available_endpoints).toContain("POST /api/events");
    }
  });

  test("a non-numeric limit stays a 400 (a deliberate difference from the seed)", async () => {
    const response = await get("/api/analytics/sessions?limit=invalid");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: "Invalid query parameters",
      code: "validation_error",
    });
  });
});

describe("every refusal is JSON in the one shape", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ RATE_LIMIT_PER_MINUTE: "2" });
  });
  afterAll(() => server.stop());

  test("401, 405, 415 and 429 carry a string error, a code and a message", async () => {
    // RATE_LIMIT_PER_MINUTE=2: the refused 415 and the 201 use the budget, then 429.
    const answers = [
      await server.request("/api/status"),
      await server.request("/health", { method: "POST" }),
      await server.request("/api/events", { method: "POST", body: "x" }),
      await server.postEvent({ type: "pageview", page: "/", session_id: "s" }),
      await server.postEvent({ type: "pageview", page: "/", session_id: "s" }),
    ];
    const statuses = answers.map((answer) => answer.status);
    expect(statuses).toEqual([401, 405, 415, 201, 429]);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expect(answer.headers.get("content-type")).toContain("application/json");
      const body = await answer.json();
      expect(body.success).toBe(false);
      expect(typeof body.error).toBe("string");
      expect(typeof body.code).toBe("string");
      expect(typeof body.message).toBe("string");
    }
  });

  test("a refused WebSocket upgrade is in the same shape", async () => {
    const response = await fetch(`${server.url}/ws`, {
      headers: { upgrade: "websocket", connection: "upgrade" },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      success: false,
      error: "Unauthorized",
      code: "unauthorized",
      message: expect.stringContaining("token"),
    });
  });
});
