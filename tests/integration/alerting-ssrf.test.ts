import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AlertingServer, startAlertingServer, startReceiver } from "../support/alerting.ts";

describe("webhook addresses through the API (real DNS, private addresses not allowed)", () => {
  let server: AlertingServer;
  let receiver: ReturnType<typeof startReceiver>;
  beforeAll(() => {
    receiver = startReceiver();
    server = startAlertingServer({ alerting: { allowPrivateWebhooks: false } });
  });
  afterAll(async () => {
    await server.stop();
    receiver.stop();
  });

  const create = (url: string) =>
    server.json<{ code: string; message: string; error: string }>(
      "/api/alerts/destinations",
      "POST",
      {
        name: "probe",
        type: "webhook",
        url,
      },
    );

  test.each([
    "http://127.0.0.1:6379/",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:3000/api",
  ])("refuses %s with a validation error", async (url) => {
    const { status, body } = await create(url);
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, code: "validation_error" });
    expect(body.message).toContain("loopback, link-local or private");
  });

  test("refuses a host name that resolves to loopback (localhost)", async () => {
    const { status, body } = await create(`http://localhost:${receiver.server.port}/hook`);
    expect(status).toBe(400);
    expect(body.message).toMatch(/localhost \((127\.0\.0\.1|::1)\)/);
    expect(receiver.received).toHaveLength(0);
  });

  test("refuses other schemes", async () => {
    expect((await create("file:///etc/passwd")).status).toBe(400);
  });

  test("nothing was kept", async () => {
    const listed = await server.json<{ destinations: unknown[] }>("/api/alerts/destinations");
    expect(listed.body.destinations).toEqual([]);
  });
});

describe("a destination's name that moves to an internal address after creation", () => {
  test("is refused before the attempt, and the log says why", async () => {
    let address = "93.184.216.34";
    const server = startAlertingServer({
      alerting: { allowPrivateWebhooks: false, maxAttempts: 1 },
      resolver: async () => [address],
    });
    try {
      await server.json("/api/alerts/rules", "POST", {
        kind: "milestone",
        site: "shop.test",
        milestones: [1],
      });
      const created = await server.json<{ destination: { id: number } }>(
        "/api/alerts/destinations",
        "POST",
        { name: "moves", type: "webhook", url: "http://hooks.example.test/hook" },
      );
      expect(created.status).toBe(201);
      address = "169.254.169.254";
      await server.request("/api/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "pageview", page: "/", session_id: "s", site: "shop.test" }),
      });
      await server.alerting.worker.settled();
      const log = await server.json<{ deliveries: Record<string, unknown>[] }>(
        `/api/alerts/destinations/${created.body.destination.id}/deliveries`,
      );
      expect(log.body.deliveries[0]).toMatchObject({
        status: "failed",
        attempts: 1,
        last_status: null,
      });
      expect(String(log.body.deliveries[0]?.last_error)).toContain(
        "hooks.example.test (169.254.169.254)",
      );
    } finally {
      await server.stop();
    }
  });
});

describe("ALLOW_PRIVATE_WEBHOOKS and PUBLIC_URL from the environment", () => {
  test("reach the alerting service through the one config object", async () => {
    const { loadConfig } = await import("../../config/index.ts");
    const { alertingOptions } = await import("../../services/alerting/options.ts");
    const config = loadConfig({
      ALLOW_PRIVATE_WEBHOOKS: "true",
      PUBLIC_URL: "https://stats.example.com/",
      ALERT_DELIVERY_MAX_ATTEMPTS: "3",
      ALERT_DESTINATION_PER_MINUTE: "12",
    });
    expect(alertingOptions(config)).toMatchObject({
      allowPrivateWebhooks: true,
      publicUrl: "https://stats.example.com",
      maxAttempts: 3,
      destinationPerMinute: 12,
      deliveryTimeoutMs: 5000,
    });
    expect(alertingOptions(loadConfig({ PORT: "8123" }))).toMatchObject({
      allowPrivateWebhooks: false,
      publicUrl: "http://localhost:8123",
    });
    expect(() => loadConfig({ PUBLIC_URL: "ftp://stats.example.com" })).toThrow("PUBLIC_URL");
  });

  test("a server started with ALLOW_PRIVATE_WEBHOOKS=true accepts a loopback receiver; without it, not", async () => {
    const { startTestServer } = await import("../support/server.ts");
    const receiver = startReceiver();
    const create = (server: {
      request: (path: string, init: RequestInit & { auth?: boolean }) => Promise<Response>;
    }) =>
      server.request("/api/alerts/destinations", {
        method: "POST",
        auth: true,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "local", type: "webhook", url: receiver.url }),
      });
    const allowing = startTestServer({ ALLOW_PRIVATE_WEBHOOKS: "true" });
    const refusing = startTestServer({});
    try {
      expect((await create(allowing)).status).toBe(201);
      expect((await create(refusing)).status).toBe(400);
    } finally {
      await allowing.stop();
      await refusing.stop();
      receiver.stop();
    }
  });
});
