import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { verifySignature } from "../../services/alerting/signer.ts";
import { type AlertingServer, startAlertingServer, startReceiver } from "../support/alerting.ts";
import { DashboardClient, pageview } from "../support/server.ts";

const MINUTE = 60_000;

describe("a drop rule and a Slack destination (the issue's done)", () => {
  let server: AlertingServer;
  let receiver: ReturnType<typeof startReceiver>;
  beforeAll(() => {
    receiver = startReceiver();
    server = startAlertingServer();
  });
  afterAll(async () => {
    await server.stop();
    receiver.stop();
  });

  test("traffic that stops sends exactly one signed Slack message, and the history and the dashboard agree", async () => {
    for (const visitor of ["a", "b", "c", "d"]) {
      const sent = await server.request("/api/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(pageview(visitor, "/", { site: "shop.test" })),
      });
      expect(sent.status).toBe(201);
    }
    const rule = await server.json<{ rule: { id: number } }>("/api/alerts/rules", "POST", {
      kind: "drop",
      site: "shop.test",
      floor: 3,
      window_minutes: 30,
      active_hours: { from: "08:00", to: "22:00" },
    });
    expect(rule.status).toBe(201);
    const created = await server.json<{
      secret: string;
      destination: { id: number; secret_prefix: string };
    }>("/api/alerts/destinations", "POST", { name: "ops", type: "slack", url: receiver.url });
    expect(created.status).toBe(201);
    const { secret, destination } = created.body;
    expect(secret).toStartWith("whsec_");
    expect(JSON.stringify(destination)).not.toContain(secret);

    // Traffic stops; the rule re-checks as time passes.
    server.clock.advance(10 * MINUTE);
    await server.alerting.tick(server.clock.now());
    expect(receiver.received).toHaveLength(0);
    server.clock.advance(25 * MINUTE);
    await server.alerting.tick(server.clock.now());
    server.clock.advance(MINUTE);
    await server.alerting.tick(server.clock.now());
    await server.alerting.worker.settled();
    await Bun.sleep(100);

    expect(receiver.received).toHaveLength(1);
    const [message] = receiver.received;
    if (!message) throw new Error("unreachable");
    const timestamp = message.headers.get("x-footfall-timestamp");
    const signature = message.headers.get("x-footfall-signature");
    expect(verifySignature(secret, timestamp, message.body, signature, Number(timestamp))).toBe(
      true,
    );
    expect(
      verifySignature("whsec_wrong", timestamp, message.body, signature, Number(timestamp)),
    ).toBe(false);
    const slack = JSON.parse(message.body);
    expect(slack.text).toContain("Traffic drop on shop.test: 0 visitors in the last 30 minutes");
    expect(slack.blocks[1].elements[0].text).toContain("?site=shop.test|Open the dashboard>");

    const history = await server.json<{
      alerts: { id: string; kind: string; rule_id: number }[];
      total: number;
    }>("/api/alerts?site=shop.test");
    expect(history.body.total).toBe(1);
    expect(history.body.alerts[0]).toMatchObject({ kind: "drop", rule_id: rule.body.rule.id });

    const log = await server.json<{ deliveries: Record<string, unknown>[] }>(
      `/api/alerts/destinations/${destination.id}/deliveries`,
    );
    expect(log.body.deliveries).toEqual([
      expect.objectContaining({
        alert_id: history.body.alerts[0]?.id,
        status: "delivered",
        attempts: 1,
        last_status: 200,
        last_error: null,
      }),
    ]);

    const dashboard = await DashboardClient.connect(server.wsUrl);
    const replayed = await dashboard.next("alert", (frame) => frame.data.kind === "drop");
    expect(replayed.data).toMatchObject({
      id: history.body.alerts[0]?.id,
      replayed: true,
      site: "shop.test",
    });
    expect(dashboard.protocolErrors).toEqual([]);
    dashboard.close();
  });
});
