import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

function post(server: TestServer, path: string, body?: unknown) {
  return server.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const { start, dashboard: connect } = useTestServers();

describe("hit counter compatibility API (seed 000)", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("a visit is tracked with the seed's answer", async () => {
    const response = await post(server, "/api/visit", {
      customerId: "c1",
      deviceId: "phone",
      websiteId: "site-a",
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ message: "Visit tracked successfully" });
  });

  test("a customer's visits are counted across devices, and `website` is accepted for websiteId", async () => {
    await post(server, "/api/visit", { customerId: "c1", deviceId: "laptop", website: "site-a" });
    await post(server, "/api/visit", { customerId: "c1", deviceId: "phone", websiteId: "site-a" });
    await post(server, "/api/visit", { customerId: "c1", deviceId: "phone", websiteId: "site-b" });
    const response = await server.request(
      "/api/customer-visit-count?customerId=c1&websiteId=site-a",
      { auth: true },
    );
    expect(await response.json()).toEqual({ count: 3, devices: 2 });
  });

  test("the overall count covers every customer of a site", async () => {
    await post(server, "/api/visit", { customerId: "c2", deviceId: "tablet", websiteId: "site-a" });
    const response = await server.request("/api/overall-visit-count?websiteId=site-a", {
      auth: true,
    });
    expect(await response.json()).toEqual({ count: 4, unique_customers: 2 });
  });

  test("an unknown customer or site counts zero", async () => {
    const response = await server.request(
      "/api/customer-visit-count?customerId=nobody&websiteId=site-a",
      { auth: true },
    );
    expect(await response.json()).toEqual({ count: 0, devices: 0 });
  });

  test("missing or empty ids are 400", async () => {
    for (const body of [
      { deviceId: "d", websiteId: "w" },
      { customerId: "", deviceId: "d", websiteId: "w" },
      { customerId: "c", deviceId: "d" },
    ]) {
      const response = await post(server, "/api/visit", body);
      expect(response.status).toBe(400);
      expect((await response.json()).code).toBe("validation_error");
    }
    expect(
      (await server.request("/api/customer-visit-count?customerId=c1", { auth: true })).status,
    ).toBe(400);
    expect((await server.request("/api/overall-visit-count", { auth: true })).status).toBe(400);
  });

  test("ids with invisible format characters are refused, and lone surrogates do not split a customer", async () => {
    for (const [customerId, websiteId, status] of [
      ["c\u200b1", "site-fmt", 400],
      ["c\u202e1", "site-fmt", 400],
      ["lone\ud800", "site-lone", 201],
      ["lone\udbff", "site-lone", 201],
    ] as const) {
      const response = await post(server, "/api/visit", { customerId, deviceId: "d", websiteId });
      expect(response.status).toBe(status);
    }
    const overall = await server.request("/api/overall-visit-count?websiteId=site-lone", {
      auth: true,
    });
    expect(await overall.json()).toEqual({ count: 2, unique_customers: 1 });
  });

  test("null, object, empty and missing ids are refused with validation_error, numbers are taken as strings", async () => {
    for (const bad of [null, {}, "", "   ", true, [1]]) {
      for (const field of ["customerId", "deviceId", "websiteId"]) {
        const body: Record<string, unknown> = { customerId: "c", deviceId: "d", websiteId: "w" };
        body[field] = bad;
        const response = await post(server, "/api/visit", body);
        expect(response.status).toBe(400);
        const error = await response.json();
        expect(error.code).toBe("validation_error");
        expect(JSON.stringify(error.details)).toContain(field);
      }
    }
    expect((await post(server, "/api/visit", {})).status).toBe(400);
    const numeric = await post(server, "/api/visit", {
      customerId: 42,
      deviceId: 7,
      websiteId: "site-num",
    });
    expect(numeric.status).toBe(201);
    const counts = await server.request(
      "/api/customer-visit-count?customerId=42&websiteId=site-num",
      { auth: true },
    );
    expect(await counts.json()).toEqual({ count: 1, devices: 1 });
  });

  test("the same customer and device on two sites are two sessions", async () => {
    await post(server, "/api/visit", { customerId: "cs", deviceId: "ds", websiteId: "site-one" });
    await post(server, "/api/visit", { customerId: "cs", deviceId: "ds", websiteId: "site-two" });
    const ids: string[] = [];
    for (const site of ["site-one", "site-two"]) {
      const body = await (
        await server.request(`/api/analytics/sessions?site=${site}`, { auth: true })
      ).json();
      expect(body.data.total_count).toBe(1);
      ids.push(body.data.sessions[0].session_id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  test("ids containing the separator cannot collide into one session", async () => {
    await post(server, "/api/visit", { customerId: "a:b", deviceId: "c", websiteId: "site-sep" });
    await post(server, "/api/visit", { customerId: "a", deviceId: "b:c", websiteId: "site-sep" });
    const body = await (
      await server.request("/api/analytics/sessions?site=site-sep", { auth: true })
    ).json();
    expect(body.data.total_count).toBe(2);
  });

  test("very long ids still give one valid session per site, customer and device", async () => {
    const customerId = "x".repeat(256);
    for (const websiteId of ["site-long-1", "site-long-2"]) {
      const response = await post(server, "/api/visit", { customerId, deviceId: "d", websiteId });
      expect(response.status).toBe(201);
      const body = await (
        await server.request(`/api/analytics/sessions?site=${websiteId}`, { auth: true })
      ).json();
      expect(body.data.total_count).toBe(1);
      expect(body.data.sessions[0].session_id.length).toBeLessThanOrEqual(128);
    }
  });

  test("the two counts need the token", async () => {
    expect(
      (await server.request("/api/customer-visit-count?customerId=c1&websiteId=site-a")).status,
    ).toBe(401);
    expect((await server.request("/api/overall-visit-count?websiteId=site-a")).status).toBe(401);
  });

  test("a visit is an ordinary event: it reaches dashboards and the live counters", async () => {
    const dashboard = await connect(server.wsUrl);
    await post(server, "/api/visit", { customerId: "c9", deviceId: "watch", websiteId: "site-z" });
    const update = await dashboard.next(
      "visitor_update",
      (frame) => (frame.data.event as { site: string }).site === "site-z",
    );
    expect(update.data.event).toMatchObject({
      type: "pageview",
      user_id: "c9",
      metadata: { device_id: "watch" },
    });
    const summary = await (
      await server.request("/api/analytics/summary?site=site-z", { auth: true })
    ).json();
    expect(summary.data.summary.total_today).toBe(1);
  });
});

describe("country tracker compatibility API (seed 001)", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("ping is public and answers pong", async () => {
    const response = await server.request("/api/v1/ping");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "pong" });
  });

  test("each visit answers 201 with the new count under the lower-case code, body ignored", async () => {
    expect(await (await post(server, "/api/v1/stats?countryCode=ES")).json()).toEqual({ es: 1 });
    const second = await post(server, "/api/v1/stats?countryCode=es", { ignored: true });
    expect(second.status).toBe(201);
    expect(await second.json()).toEqual({ es: 2 });
    await post(server, "/api/v1/stats?countryCode=US");
  });

  test("the stats need the token and list every country", async () => {
    expect((await server.request("/api/v1/stats")).status).toBe(401);
    const response = await server.request("/api/v1/stats", { auth: true });
    expect(await response.json()).toEqual({ es: 2, us: 1 });
  });

  test("the tracker's health check answers 200 OK", async () => {
    const response = await server.request("/api/v1/healthcheck");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("OK");
  });

  test("a missing code is 422 'Country code is required', as the tracker's tests expect", async () => {
    for (const path of ["/api/v1/stats", "/api/v1/stats?countryCode="]) {
      const response = await post(server, path);
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        success: false,
        error: "Country code is required",
        code: "missing_country_code",
        message: expect.any(String),
      });
    }
  });

  test("a code that is not two letters is 403 'Invalid country code', as the tracker's tests expect", async () => {
    for (const code of ["USA", "1A", "U", "%20%20"]) {
      const response = await post(server, `/api/v1/stats?countryCode=${code}`);
      expect(response.status).toBe(403);
      const body = await response.json();
      expect(body.error).toContain("Invalid country code");
      expect(body.code).toBe("invalid_country_code");
      expect(body.details[0].path).toBe("countryCode");
    }
  });

  test("the tracker frontend's post (no headers, no body) is counted", async () => {
    const response = await fetch(`${server.url}/api/v1/stats?countryCode=gb`, { method: "POST" });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ gb: 1 });
  });

  test("Footfall's own routes keep 400 for an invalid query", async () => {
    const response = await server.request("/api/analytics/summary?country=", { auth: true });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe("Invalid query parameters");
  });

  test("a country visit is an ordinary event counted by country", async () => {
    const summary = await (
      await server.request("/api/analytics/summary?country=ES", { auth: true })
    ).json();
    expect(summary.data.summary.total_today).toBe(2);
  });
});

describe("rate limiting on the compatibility ingestion routes", () => {
  test("one per-IP budget covers /api/v1/stats, /api/visit and /api/events alike", async () => {
    const server = start({ RATE_LIMIT_PER_MINUTE: "3" });
    expect((await post(server, "/api/v1/stats?countryCode=FR")).status).toBe(201);
    expect(
      (await post(server, "/api/visit", { customerId: "c", deviceId: "d", websiteId: "w" })).status,
    ).toBe(201);
    expect((await server.postEvent({ type: "pageview", page: "/", session_id: "s" })).status).toBe(
      201,
    );
    for (const limited of [
      await post(server, "/api/v1/stats?countryCode=FR"),
      await post(server, "/api/visit", { customerId: "c", deviceId: "d", websiteId: "w" }),
      await server.postEvent({ type: "pageview", page: "/", session_id: "s" }),
    ]) {
      expect(limited.status).toBe(429);
      const body = await limited.json();
      expect(body.code).toBe("rate_limited");
      // The tracker's tests look for these words in `error`.
      expect(body.error).toContain("Too many requests");
    }
    const stats = await (await server.request("/api/v1/stats", { auth: true })).json();
    expect(stats).toEqual({ fr: 1 });
  });
});

describe("COMPAT_PUBLIC_READS", () => {
  const TRACKER_ORIGIN = "http://localhost:3001";

  test("by default the compatibility reads need the token, and a foreign page can read the 401", async () => {
    const server = start();
    const response = await server.request("/api/v1/stats", {
      headers: { origin: TRACKER_ORIGIN },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const document = await (await server.request("/api/openapi.json")).json();
    expect(document.paths["/api/v1/stats"].get.security).toEqual([
      { bearer: [] },
      { tokenQuery: [] },
    ]);
  });

  test("true opens the three compatibility reads, from any origin, and nothing else", async () => {
    const server = start({ COMPAT_PUBLIC_READS: "true" });
    await fetch(`${server.url}/api/v1/stats?countryCode=PT`, { method: "POST" });
    await post(server, "/api/visit", { customerId: "c", deviceId: "d", websiteId: "w" });
    // As the tracker's frontend polls it: GET from its own origin, no token, no options.
    const stats = await server.request("/api/v1/stats", { headers: { origin: TRACKER_ORIGIN } });
    expect(stats.status).toBe(200);
    expect(stats.headers.get("access-control-allow-origin")).toBe("*");
    expect(await stats.json()).toEqual({ pt: 1 });
    const customer = await server.request("/api/customer-visit-count?customerId=c&websiteId=w");
    expect(await customer.json()).toEqual({ count: 1, devices: 1 });
    const overall = await server.request("/api/overall-visit-count?websiteId=w");
    expect(await overall.json()).toEqual({ count: 1, unique_customers: 1 });
    for (const path of [
      "/api/analytics/summary",
      "/api/analytics/sessions",
      "/api/analytics/detailed",
      "/api/status",
      "/api/events/export",
    ]) {
      expect((await server.request(path)).status).toBe(401);
    }
    const document = await (await server.request("/api/openapi.json")).json();
    expect(document.paths["/api/v1/stats"].get.security).toEqual([]);
    expect(document.paths["/api/analytics/summary"].get.security).not.toEqual([]);
  });

  test("with CORS_ORIGINS a list, the tracker's origin on it reads the counts", async () => {
    const server = start({
      COMPAT_PUBLIC_READS: "true",
      CORS_ORIGINS: `${TRACKER_ORIGIN}, https://shop.example`,
    });
    const stats = await server.request("/api/v1/stats", { headers: { origin: TRACKER_ORIGIN } });
    expect(stats.status).toBe(200);
    expect(stats.headers.get("access-control-allow-origin")).toBe(TRACKER_ORIGIN);
  });
});
