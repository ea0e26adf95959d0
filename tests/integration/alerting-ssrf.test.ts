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
