import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pageview, TEST_TOKEN, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

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

const { start } = useTestServers();

describe("authentication", () => {
  const running = useTestServers(afterAll);
  let server: TestServer;
  beforeAll(() => {
    server = running.start();
  });

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
    const server = start({ RATE_LIMIT_PER_MINUTE: "2" });
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
  });

  // Each case posts one event per header value, in order, and expects these statuses: 429 once
  // the address the server took as the client's has spent its budget.
  const clientAddressCases: {
    name: string;
    env: Record<string, string>;
    header: string;
    sent: [value: string, status: number][];
  }[] = [
    {
      name: "X-Forwarded-For is ignored unless TRUST_PROXY is set",
      env: { RATE_LIMIT_PER_MINUTE: "1" },
      header: "x-forwarded-for",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 429],
      ],
    },
    {
      name: "behind one trusted proxy each client has its own budget, read from the entry the proxy appended",
      env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "1" },
      // nginx's $proxy_add_x_forwarded_for: what the client sent, then the address it came from.
      header: "x-forwarded-for",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 201],
        ["198.51.100.1", 429],
      ],
    },
    {
      name: "behind one trusted proxy a client forging X-Forwarded-For cannot escape the limit",
      env: { RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "true" },
      header: "x-forwarded-for",
      sent: [
        ["10.0.0.1, 203.0.113.7", 201],
        ["10.0.0.2, 203.0.113.7", 201],
        ["10.0.0.3, 203.0.113.7", 429],
        ["1.1.1.1, 2.2.2.2, 203.0.113.7", 429],
      ],
    },
    {
      name: "with trusted proxy addresses the client is the first untrusted hop from the right",
      env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "127.0.0.0/8, 10.0.0.0/8" },
      header: "x-forwarded-for",
      sent: [
        ["6.6.6.1, 203.0.113.7, 10.1.2.3", 201],
        ["6.6.6.2, 203.0.113.7, 10.9.9.9", 429],
        ["203.0.113.8", 201],
      ],
    },
    {
      name: "X-Forwarded-For from a peer that is not a trusted proxy is ignored",
      env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "10.0.0.0/8" },
      header: "x-forwarded-for",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 429],
      ],
    },
    {
      name: "X-Real-IP is ignored unless CLIENT_IP_HEADER names it",
      env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "1" },
      header: "x-real-ip",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 429],
      ],
    },
    {
      name: "X-Real-IP named by CLIENT_IP_HEADER is ignored from a peer that is not a trusted proxy",
      env: { RATE_LIMIT_PER_MINUTE: "1", CLIENT_IP_HEADER: "X-Real-IP" },
      header: "x-real-ip",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 429],
      ],
    },
    {
      name: "X-Real-IP named by CLIENT_IP_HEADER and sent by a trusted proxy gives each client its own budget",
      env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "1", CLIENT_IP_HEADER: "X-Real-IP" },
      header: "x-real-ip",
      sent: [
        ["198.51.100.1", 201],
        ["198.51.100.2", 201],
        ["198.51.100.1", 429],
      ],
    },
  ];
  for (const { name, env, header, sent } of clientAddressCases) {
    test(name, async () => {
      const server = start(env);
      const statuses: number[] = [];
      for (const [value] of sent) {
        const response = await server.postEvent(pageview("x"), { headers: { [header]: value } });
        statuses.push(response.status);
      }
      expect(statuses).toEqual(sent.map(([, status]) => status));
    });
  }

  test("RATE_LIMIT_PER_MINUTE=0 turns the limit off", async () => {
    const server = start({ RATE_LIMIT_PER_MINUTE: "0" });
    for (let index = 0; index < 150; index++) {
      expect((await server.postEvent(pageview(`free-${index}`))).status).toBe(201);
    }
  });
});

describe("CORS and headers", () => {
  test("ingestion works from any site by default, preflight included", async () => {
    const server = start();
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
  });

  test("with CORS_ORIGINS set only the listed origins are allowed", async () => {
    const server = start({ CORS_ORIGINS: "https://a.example, https://b.example" });
    const allowed = await server.postEvent(pageview("cors-2"), {
      headers: { origin: "https://b.example" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://b.example");
    const refused = await server.postEvent(pageview("cors-3"), {
      headers: { origin: "https://evil.example" },
    });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("every response carries the security headers", async () => {
    const server = start();
    for (const response of [
      await server.request("/health"),
      await server.request("/nope"),
      await server.postEvent("{"),
    ]) {
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    }
  });
});

describe("request bodies far past the limit", () => {
  test("a body over four times MAX_BATCH_BYTES is still refused with 413 (by Bun itself)", async () => {
    const server = start({ MAX_BATCH_BYTES: "1024" });
    const response = await server.postEvent("x".repeat(8 * 1024));
    expect(response.status).toBe(413);
  });
});

describe("internal errors", () => {
  test("a failure inside the server is 500 internal_error without a stack trace, and the server keeps serving", async () => {
    const server = start({ NODE_ENV: "production" });
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
  });

  test("in development the 500 carries the message and stack to help debugging", async () => {
    const server = start({ NODE_ENV: "development" });
    server.services.ingestion.accept = () => Promise.reject(new Error("visible in development"));
    const body = await (await server.postEvent(pageview("boom"))).json();
    expect(body.message).toBe("visible in development");
    expect(body.details.stack).toContain("Error");
  });
});
