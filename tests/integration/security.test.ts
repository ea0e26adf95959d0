import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pageview, startTestServer, TEST_TOKEN, type TestServer } from "../support/server.ts";

const PROTECTED = [
  "/api/analytics/summary",
  "/api/analytics/sessions",
  "/api/analytics/sessions/someone",
  "/api/analytics/detailed",
  "/api/status",
  "/api/customer-visit-count?customerId=c&websiteId=w",
  "/api/overall-visit-count?websiteId=w",
  "/api/v1/stats",
];

describe("authentication", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  for (const path of PROTECTED) {
    test(`${path} refuses a request without the token with 401 unauthorized`, async () => {
      const response = await server.request(path);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      const body = await response.json();
      expect(body).toMatchObject({
        success: false,
        error: "Unauthorized",
        code: "unauthorized",
      });
    });

    test(`${path} refuses a wrong token and accepts the right one by header or query`, async () => {
      const wrong = await server.request(path, {
        headers: { authorization: "Bearer not-the-token-at-all" },
      });
      expect(wrong.status).toBe(401);
      const byHeader = await server.request(path, { auth: true });
      expect(byHeader.status).not.toBe(401);
      const separator = path.includes("?") ? "&" : "?";
      const byQuery = await server.request(`${path}${separator}token=${TEST_TOKEN}`);
      expect(byQuery.status).not.toBe(401);
    });
  }

  test("ingestion, health and ping stay public", async () => {
    expect((await server.postEvent(pageview("public-1"))).status).toBe(201);
    expect((await server.request("/health")).status).toBe(200);
    expect((await server.request("/api/v1/ping")).status).toBe(200);
  });
});

describe("rate limiting", () => {
  test("past the limit ingestion answers 429 with Retry-After and RateLimit headers", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "2" });
    try {
      const first = await server.postEvent(pageview("r1"));
      expect(first.headers.get("ratelimit-limit")).toBe("2");
      expect(first.headers.get("ratelimit-remaining")).toBe("1");
      await server.postEvent(pageview("r1"));
      const limited = await server.postEvent(pageview("r1"));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(limited.headers.get("ratelimit-remaining")).toBe("0");
      expect(Number(limited.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
      expect((await limited.json()).code).toBe("rate_limited");
      // Reads are not ingestion: they are not limited.
      expect((await server.request("/api/analytics/summary", { auth: true })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test("X-Forwarded-For is ignored unless TRUST_PROXY is set", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "1" });
    try {
      const from = (ip: string) =>
        server.postEvent(pageview("x"), { headers: { "x-forwarded-for": ip } });
      expect((await from("198.51.100.1")).status).toBe(201);
      expect((await from("198.51.100.2")).status).toBe(429);
    } finally {
      await server.stop();
    }
  });

  test("behind one trusted proxy each client has its own budget, read from the entry the proxy appended", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "1" });
    try {
      // nginx's $proxy_add_x_forwarded_for: what the client sent, then the address it came from.
      const from = (ip: string) =>
        server.postEvent(pageview("x"), { headers: { "x-forwarded-for": ip } });
      expect((await from("198.51.100.1")).status).toBe(201);
      expect((await from("198.51.100.2")).status).toBe(201);
      expect((await from("198.51.100.1")).status).toBe(429);
    } finally {
      await server.stop();
    }
  });

  test("behind one trusted proxy a client forging X-Forwarded-For cannot escape the limit", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "true" });
    try {
      const forged = (fake: string) =>
        server.postEvent(pageview("x"), {
          headers: { "x-forwarded-for": `${fake}, 203.0.113.7` },
        });
      expect((await forged("10.0.0.1")).status).toBe(201);
      expect((await forged("10.0.0.2")).status).toBe(201);
      expect((await forged("10.0.0.3")).status).toBe(429);
      expect((await forged("1.1.1.1, 2.2.2.2")).status).toBe(429);
    } finally {
      await server.stop();
    }
  });

  test("with trusted proxy addresses the client is the first untrusted hop from the right", async () => {
    const server = startTestServer({
      RATE_LIMIT_PER_MINUTE: "1",
      TRUST_PROXY: "127.0.0.0/8, 10.0.0.0/8",
    });
    try {
      const via = (chain: string) =>
        server.postEvent(pageview("x"), { headers: { "x-forwarded-for": chain } });
      expect((await via("6.6.6.1, 203.0.113.7, 10.1.2.3")).status).toBe(201);
      expect((await via("6.6.6.2, 203.0.113.7, 10.9.9.9")).status).toBe(429);
      expect((await via("203.0.113.8")).status).toBe(201);
    } finally {
      await server.stop();
    }
  });

  test("X-Forwarded-For from a peer that is not a trusted proxy is ignored", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "10.0.0.0/8" });
    try {
      const from = (ip: string) =>
        server.postEvent(pageview("x"), { headers: { "x-forwarded-for": ip } });
      expect((await from("198.51.100.1")).status).toBe(201);
      expect((await from("198.51.100.2")).status).toBe(429);
    } finally {
      await server.stop();
    }
  });

  test("X-Real-IP is ignored unless CLIENT_IP_HEADER names it, and then only from a trusted proxy", async () => {
    const realIp = (server: TestServer, ip: string) =>
      server.postEvent(pageview("x"), { headers: { "x-real-ip": ip } });
    const unset = startTestServer({ RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "1" });
    try {
      expect((await realIp(unset, "198.51.100.1")).status).toBe(201);
      expect((await realIp(unset, "198.51.100.2")).status).toBe(429);
    } finally {
      await unset.stop();
    }
    const untrusted = startTestServer({
      RATE_LIMIT_PER_MINUTE: "1",
      CLIENT_IP_HEADER: "X-Real-IP",
    });
    try {
      expect((await realIp(untrusted, "198.51.100.1")).status).toBe(201);
      expect((await realIp(untrusted, "198.51.100.2")).status).toBe(429);
    } finally {
      await untrusted.stop();
    }
    const configured = startTestServer({
      RATE_LIMIT_PER_MINUTE: "1",
      TRUST_PROXY: "1",
      CLIENT_IP_HEADER: "X-Real-IP",
    });
    try {
      expect((await realIp(configured, "198.51.100.1")).status).toBe(201);
      expect((await realIp(configured, "198.51.100.2")).status).toBe(201);
      expect((await realIp(configured, "198.51.100.1")).status).toBe(429);
    } finally {
      await configured.stop();
    }
  });

  test("RATE_LIMIT_PER_MINUTE=0 turns the limit off", async () => {
    const server = startTestServer({ RATE_LIMIT_PER_MINUTE: "0" });
    try {
      for (let index = 0; index < 150; index++) {
        expect((await server.postEvent(pageview(`free-${index}`))).status).toBe(201);
      }
    } finally {
      await server.stop();
    }
  });
});

describe("CORS and headers", () => {
  test("ingestion works from any site by default, preflight included", async () => {
    const server = startTestServer();
    try {
      const preflight = await server.request("/api/events", {
        method: "OPTIONS",
        headers: {
          origin: "https://blog.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      const response = await server.postEvent(pageview("cors-1"), {
        headers: { origin: "https://blog.example" },
      });
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
    } finally {
      await server.stop();
    }
  });

  test("with CORS_ORIGINS set only the listed origins are allowed", async () => {
    const server = startTestServer({ CORS_ORIGINS: "https://a.example, https://b.example" });
    try {
      const allowed = await server.postEvent(pageview("cors-2"), {
        headers: { origin: "https://b.example" },
      });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://b.example");
      const refused = await server.postEvent(pageview("cors-3"), {
        headers: { origin: "https://evil.example" },
      });
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await server.stop();
    }
  });

  test("every response carries the security headers", async () => {
    const server = startTestServer();
    try {
      for (const response of [
        await server.request("/health"),
        await server.request("/nope"),
        await server.postEvent("{"),
      ]) {
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
        expect(response.headers.get("strict-transport-security")).toContain("max-age=");
      }
    } finally {
      await server.stop();
    }
  });
});

describe("request bodies far past the limit", () => {
  test("a body over four times MAX_BATCH_BYTES is still refused with 413 (by Bun itself)", async () => {
    const server = startTestServer({ MAX_BATCH_BYTES: "1024" });
    try {
      const response = await server.postEvent("x".repeat(8 * 1024));
      expect(response.status).toBe(413);
    } finally {
      await server.stop();
    }
  });
});

describe("internal errors", () => {
  test("a failure inside the server is 500 internal_error without a stack trace, and the server keeps serving", async () => {
    const server = startTestServer({ NODE_ENV: "production" });
    try {
      const { ingestion } = server.services;
      const accept = ingestion.accept;
      ingestion.accept = () => Promise.reject(new Error("disk on fire at /secret/path"));
      const response = await server.postEvent(pageview("boom"));
      expect(response.status).toBe(500);
      const body = await response.json();
      expect(body).toEqual({
        success: false,
        error: "Internal server error",
        code: "internal_error",
        message: "Internal server error",
      });
      ingestion.accept = accept;
      expect((await server.postEvent(pageview("fine"))).status).toBe(201);
    } finally {
      await server.stop();
    }
  });

  test("in development the 500 carries the message and stack to help debugging", async () => {
    const server = startTestServer({ NODE_ENV: "development" });
    try {
      server.services.ingestion.accept = () => Promise.reject(new Error("visible in development"));
      const body = await (await server.postEvent(pageview("boom"))).json();
      expect(body.message).toBe("visible in development");
      expect(body.details.stack).toContain("Error");
    } finally {
      await server.stop();
    }
  });
});
