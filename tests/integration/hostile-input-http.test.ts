import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { pageview, startTestServer, type TestServer } from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

/** Sends raw bytes over TCP and resolves with everything the server answers until it closes (or `waitMs`). */
async function rawExchange(
  url: string,
  chunks: string[],
  waitMs: number,
): Promise<{ answer: string; closed: boolean; ms: number }> {
  const { hostname, port } = new URL(url);
  let answer = "";
  let closed = false;
  const started = performance.now();
  const { promise: ended, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_socket, data) {
        answer += new TextDecoder().decode(data);
      },
      close() {
        closed = true;
        resolve();
      },
      error() {
        resolve();
      },
    },
  });
  for (const chunk of chunks) socket.write(chunk);
  socket.flush();
  await Promise.race([ended, Bun.sleep(waitMs)]);
  const ms = performance.now() - started;
  socket.end();
  return { answer, closed, ms };
}

const { start } = useTestServers();

describe("a request body that arrives too slowly", () => {
  const running = useTestServers(afterAll);
  let server: TestServer;
  const logs: { level: number; msg: string; status?: number; path?: string }[] = [];

  beforeAll(() => {
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => logs.push(JSON.parse(line)) },
    );
    server = running.start({ REQUEST_BODY_TIMEOUT_SECONDS: "0.5" }, { logger });
  });

  test("is answered 408 request_timeout in the JSON error shape, logged as a warning, not a 500", async () => {
    const head = [
      "POST /api/events HTTP/1.1",
      `Host: 127.0.0.1`,
      "Content-Type: application/json",
      "Content-Length: 200",
      "",
      "",
    ].join("\r\n");
    const { answer, ms } = await rawExchange(server.url, [head, '{"type":"pageview",'], 5000);
    const [statusLine = ""] = answer.split("\r\n");
    expect(statusLine).toBe("HTTP/1.1 408 Request Timeout");
    expect(ms).toBeLessThan(3000);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4).trim());
    expect(body).toEqual({
      success: false,
      error: "Request Timeout",
      code: "request_timeout",
      message: expect.any(String),
    });
    expect(answer.toLowerCase()).toContain("connection: close");
    const entries = logs.filter((entry) => entry.path === "/api/events");
    expect(entries.some((entry) => entry.level === 40 && entry.status === 408)).toBe(true);
    expect(logs.some((entry) => entry.level >= 50)).toBe(false);
  });

  test("the server keeps serving afterwards", async () => {
    expect((await server.postEvent(pageview("after-timeout"))).status).toBe(201);
  });
});

describe("methods, encodings and origins", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer();
  });
  afterAll(() => server.stop());

  test("an unsupported method on a known path is 405 method_not_allowed with Allow", async () => {
    const cases: [string, string, string[]][] = [
      ["DELETE", "/api/events", ["POST"]],
      ["GET", "/api/events", ["POST"]],
      ["PUT", "/api/analytics/summary", ["GET", "HEAD"]],
      ["POST", "/health", ["GET", "HEAD"]],
      ["DELETE", "/api/analytics/sessions/someone", ["GET", "HEAD"]],
    ];
    for (const [method, path, allowed] of cases) {
      const response = await server.request(path, { method, auth: true });
      expect(response.status).toBe(405);
      const allow = (response.headers.get("allow") ?? "").split(/,\s*/);
      for (const name of allowed) expect(allow).toContain(name);
      expect(allow).not.toContain(method);
      const body = await response.json();
      expect(body.code).toBe("method_not_allowed");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  test("an unknown path stays 404 whatever the method", async () => {
    for (const method of ["GET", "DELETE", "POST"]) {
      const response = await server.request("/api/nothing-here", { method });
      expect(response.status).toBe(404);
      expect((await response.json()).code).toBe("not_found");
    }
    expect((await server.request("/chunk-missing.js")).status).toBe(404);
  });

  test("a body with a Content-Encoding is 415; identity is accepted", async () => {
    const gzipped = Bun.gzipSync(JSON.stringify(pageview("gz-1")));
    const response = await server.request("/api/events", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipped,
    });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe("unsupported_media_type");
    const visit = await server.request("/api/visit", {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "br" },
      body: "{}",
    });
    expect(visit.status).toBe(415);
    const identity = await server.postEvent(pageview("gz-2"), {
      headers: { "content-encoding": "identity" },
    });
    expect(identity.status).toBe(201);
  });

  test("the dashboard page carries a strict Content-Security-Policy", async () => {
    const response = await server.request("/", { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const policy = response.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self' ws: wss:",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      expect(policy).toContain(directive);
    }
    expect(policy).toMatch(/style-src 'self'/);
  });
});

describe("CORS_ORIGINS set to a list", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ CORS_ORIGINS: "https://shop.example, https://blog.example" });
  });
  afterAll(() => server.stop());

  const ingestion = (server: TestServer, path: string, headers: Record<string, string>) => {
    if (path === "/api/events") return server.postEvent(pageview("origin-1"), { headers });
    if (path === "/api/visit") {
      return server.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ customerId: "c", deviceId: "d", websiteId: "w" }),
      });
    }
    return server.request(path, { method: "POST", headers });
  };

  for (const path of ["/api/events", "/api/visit", "/api/v1/stats?countryCode=ES"]) {
    test(`${path} refuses a foreign Origin with 403 forbidden_origin`, async () => {
      const refused = await ingestion(server, path, { origin: "https://evil.example" });
      expect(refused.status).toBe(403);
      expect((await refused.json()).code).toBe("forbidden_origin");
      const nullOrigin = await ingestion(server, path, { origin: "null" });
      expect(nullOrigin.status).toBe(403);
    });

    test(`${path} accepts a listed Origin and requests without one`, async () => {
      const allowed = await ingestion(server, path, { origin: "https://blog.example" });
      expect(allowed.status).toBe(201);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://blog.example");
      const serverToServer = await ingestion(server, path, {});
      expect(serverToServer.status).toBe(201);
    });
  }

  test("nothing from a refused origin is counted", async () => {
    await server.postEvent(pageview("evil-1", "/evil"), {
      headers: { origin: "https://evil.example" },
    });
    const summary = await (await server.request("/api/analytics/summary", { auth: true })).json();
    expect(summary.data.summary.pages_visited["/evil"]).toBeUndefined();
  });

  test("with CORS_ORIGINS=* any Origin may send events", async () => {
    const open = start();
    const response = await open.postEvent(pageview("any-1"), {
      headers: { origin: "https://anyone.example" },
    });
    expect(response.status).toBe(201);
  });
});
