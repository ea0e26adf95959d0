import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { verifySignature } from "../../services/alerting/signer.ts";
import {
  type AlertingServer,
  type Received,
  startAlertingServer,
  startReceiver,
} from "../support/alerting.ts";
import { eventually, pageview, temporaryDataDir } from "../support/server.ts";

type Receiver = ReturnType<typeof startReceiver>;
const running: { servers: AlertingServer[]; receivers: Receiver[] } = {
  servers: [],
  receivers: [],
};

function server(alerting: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const started = startAlertingServer(
    { alerting: { retryBaseMs: 50, retryMaxMs: 200, deliveryTimeoutMs: 300, ...alerting } },
    env,
    "system",
  );
  running.servers.push(started);
  return started;
}

function receiver(answers: (number | "hang")[] = []) {
  const started = startReceiver(answers);
  running.receivers.push(started);
  return started;
}

afterEach(async () => {
  for (const s of running.servers.splice(0)) await s.stop();
  for (const r of running.receivers.splice(0)) r.stop();
});

/** A milestone rule at 1, 2, 3, ... pageviews: each pageview raises one alert. */
async function everyPageviewAlerts(s: AlertingServer, site = "shop.test") {
  const created = await s.json("/api/alerts/rules", "POST", {
    kind: "milestone",
    site,
    milestones: [1, 2, 3, 4, 5, 6],
  });
  expect(created.status).toBe(201);
}

async function destination(s: AlertingServer, url: string, type = "webhook") {
  const created = await s.json<{ destination: { id: number }; secret: string }>(
    "/api/alerts/destinations",
    "POST",
    { name: `${type} receiver`, type, url },
  );
  expect(created.status).toBe(201);
  return created.body;
}

async function visit(s: AlertingServer, session: string, site = "shop.test") {
  const response = await s.request("/api/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(pageview(session, "/", { site })),
  });
  expect(response.status).toBe(201);
}

async function deliveries(s: AlertingServer, id: number) {
  const page = await s.json<{ deliveries: Record<string, unknown>[] }>(
    `/api/alerts/destinations/${id}/deliveries`,
  );
  return page.body.deliveries;
}

const alertIdOf = (received: Received) => JSON.parse(received.body).alert.id as string;

describe("delivery to a real receiver", () => {
  test("a webhook is signed with the destination's secret and carries the alert, its site and the dashboard link", async () => {
    const r = receiver();
    const s = server();
    await everyPageviewAlerts(s);
    const { destination: d, secret } = await destination(s, r.url);
    await visit(s, "a");
    await eventually(() => r.received.length === 1);
    const [got] = r.received;
    if (!got) throw new Error("unreachable");
    const timestamp = got.headers.get("x-footfall-timestamp");
    expect(
      verifySignature(
        secret,
        timestamp,
        got.body,
        got.headers.get("x-footfall-signature"),
        Date.now() / 1000,
      ),
    ).toBe(true);
    expect(got.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(got.body);
    expect(body).toMatchObject({
      type: "footfall.alert",
      site: "shop.test",
      alert: { kind: "milestone", site: "shop.test", details: { milestone: 1 } },
    });
    expect(body.dashboard_url).toEndWith("/?site=shop.test");
    await eventually(async () => (await deliveries(s, d.id))[0]?.status === "delivered");
  });

  test("after two 500s it retries with backoff and is delivered on the third attempt, once", async () => {
    const r = receiver([500, 500]);
    const s = server();
    await everyPageviewAlerts(s);
    const { destination: d } = await destination(s, r.url);
    await visit(s, "a");
    await eventually(async () => (await deliveries(s, d.id))[0]?.status === "delivered", 5000);
    const [logged] = await deliveries(s, d.id);
    expect(logged).toMatchObject({
      status: "delivered",
      attempts: 3,
      last_status: 200,
      last_error: null,
    });
    expect(r.received).toHaveLength(3);
    // Backoff: 50 ms, then 100 ms.
    const [first, second, third] = r.received.map((got) => got.at);
    expect((second as number) - (first as number)).toBeGreaterThanOrEqual(45);
    expect((third as number) - (second as number)).toBeGreaterThanOrEqual(95);
    expect(new Set(r.received.map(alertIdOf)).size).toBe(1);
    await Bun.sleep(300);
    expect(r.received).toHaveLength(3);
  });

  test("a receiver that does not answer in time is retried, and the log says why", async () => {
    const r = receiver(["hang"]);
    const s = server({ maxAttempts: 1 });
    await everyPageviewAlerts(s);
    const { destination: d } = await destination(s, r.url);
    await visit(s, "a");
    await eventually(async () => (await deliveries(s, d.id))[0]?.status === "failed");
    expect((await deliveries(s, d.id))[0]).toMatchObject({
      attempts: 1,
      last_status: null,
      last_error: "no answer within 300 ms",
    });

    const r2 = receiver(["hang"]);
    const s2 = server();
    await everyPageviewAlerts(s2);
    const { destination: d2 } = await destination(s2, r2.url);
    await visit(s2, "a");
    await eventually(async () => (await deliveries(s2, d2.id))[0]?.status === "delivered", 5000);
    expect((await deliveries(s2, d2.id))[0]).toMatchObject({ attempts: 2, last_status: 200 });
  });

  test("a 4xx is not retried; past the attempts a 500 gives up; the log keeps the last error", async () => {
    const refusing = receiver([400]);
    const failing = receiver([500, 500, 500, 500]);
    const s = server({ maxAttempts: 3 });
    await everyPageviewAlerts(s);
    const { destination: a } = await destination(s, refusing.url);
    const { destination: b } = await destination(s, failing.url);
    await visit(s, "a");
    await eventually(async () => (await deliveries(s, b.id))[0]?.status === "failed", 5000);
    await eventually(async () => (await deliveries(s, a.id))[0]?.status === "failed");
    expect((await deliveries(s, a.id))[0]).toMatchObject({
      attempts: 1,
      last_status: 400,
      last_error: "HTTP 400: receiver says no",
    });
    expect((await deliveries(s, b.id))[0]).toMatchObject({ attempts: 3, last_status: 500 });
    expect(refusing.received).toHaveLength(1);
    expect(failing.received).toHaveLength(3);
  });

  test("each alert reaches each destination once: several alerts, none twice, the log one row each", async () => {
    const r = receiver();
    const s = server();
    await everyPageviewAlerts(s);
    const { destination: d } = await destination(s, r.url, "discord");
    for (const session of ["a", "b", "c", "d"]) await visit(s, session);
    await eventually(() => r.received.length === 4);
    await Bun.sleep(200);
    expect(r.received).toHaveLength(4);
    const contents = r.received.map((got) => JSON.parse(got.body));
    expect(new Set(contents.map((body) => body.content)).size).toBe(4);
    expect(contents[0].embeds[0]).toMatchObject({ title: "Footfall: milestone on shop.test" });
    const logged = await deliveries(s, d.id);
    expect(logged.map((row) => row.status)).toEqual([
      "delivered",
      "delivered",
      "delivered",
      "delivered",
    ]);
    const history = await s.json<{ total: number }>("/api/alerts?kind=milestone");
    expect(history.body.total).toBe(4);
  });

  test("over its rate limit a destination's deliveries wait their turn, not dropped", async () => {
    const r = receiver();
    const s = server({ destinationPerMinute: 2 });
    await everyPageviewAlerts(s);
    const { destination: d } = await destination(s, r.url);
    for (const session of ["a", "b", "c"]) await visit(s, session);
    await eventually(() => r.received.length === 2);
    await Bun.sleep(200);
    expect(r.received).toHaveLength(2);
    const logged = await deliveries(s, d.id);
    expect(logged.map((row) => row.status).sort()).toEqual(["delivered", "delivered", "pending"]);
    const waiting = logged.find((row) => row.status === "pending");
    expect(Date.parse(waiting?.next_attempt_at as string)).toBeGreaterThan(Date.now() + 20_000);
  });

  test("a delivery pending at shutdown is sent after the restart", async () => {
    const dataDir = temporaryDataDir();
    const r = receiver([500]);
    const first = server({ retryBaseMs: 400 }, { DATA_DIR: dataDir });
    await everyPageviewAlerts(first);
    const { destination: d } = await destination(first, r.url);
    await visit(first, "a");
    await eventually(() => r.received.length === 1);
    await Bun.sleep(50);
    await first.stop();
    running.servers.splice(running.servers.indexOf(first), 1);
    const second = server({}, { DATA_DIR: dataDir });
    await eventually(async () => (await deliveries(second, d.id))[0]?.status === "delivered", 5000);
    expect(r.received).toHaveLength(2);
    expect(alertIdOf(r.received[0] as Received)).toBe(alertIdOf(r.received[1] as Received));
  });

  test("the test endpoint sends a sample alert now and answers what the receiver said", async () => {
    const r = receiver([200, 503]);
    const s = server();
    const { destination: d, secret } = await destination(s, r.url, "slack");
    const ok = await s.json<{ delivered: boolean; delivery: Record<string, unknown> }>(
      `/api/alerts/destinations/${d.id}/test`,
      "POST",
    );
    expect(ok.body).toMatchObject({
      success: true,
      delivered: true,
      delivery: { status: "delivered", attempts: 1 },
    });
    const [got] = r.received;
    if (!got) throw new Error("unreachable");
    expect(JSON.parse(got.body).text).toContain("Test alert from Footfall");
    expect(
      verifySignature(
        secret,
        got.headers.get("x-footfall-timestamp"),
        got.body,
        got.headers.get("x-footfall-signature"),
        Date.now() / 1000,
      ),
    ).toBe(true);
    await Bun.sleep(2);
    const failed = await s.json<{ delivered: boolean; delivery: Record<string, unknown> }>(
      `/api/alerts/destinations/${d.id}/test`,
      "POST",
    );
    expect(failed.body).toMatchObject({
      delivered: false,
      delivery: { status: "failed", last_status: 503 },
    });
    const listed = await s.json<{ destinations: Record<string, unknown>[] }>(
      "/api/alerts/destinations",
    );
    expect(listed.body.destinations[0]).toMatchObject({
      last_delivery: { status: "failed", last_status: 503 },
    });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect((await s.json(`/api/alerts/destinations/999/test`, "POST")).status).toBe(404);
  });
});

afterAll(async () => {
  for (const s of running.servers.splice(0)) await s.stop();
});
