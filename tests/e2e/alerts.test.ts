import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type AlertingServer, startAlertingServer, startReceiver } from "../support/alerting.ts";
import {
  FIXED_NOON,
  followClock,
  hasChromium,
  launchBrowser,
  ShiftedClock,
} from "../support/browser.ts";
import { eventually, pageview, TEST_TOKEN } from "../support/server.ts";

const MINUTE = 60_000;

describe.skipIf(!hasChromium)("alerts on the dashboard (Chromium)", () => {
  let browser: Browser;
  let server: AlertingServer;
  let receiver: ReturnType<typeof startReceiver>;
  const clock = new ShiftedClock(FIXED_NOON);

  beforeAll(async () => {
    browser = await launchBrowser();
    receiver = startReceiver();
    server = startAlertingServer({}, {}, clock);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    receiver?.stop();
  });

  test("on connect it shows the drop in progress and today's earlier alerts; Settings lists the rules and the last delivery", async () => {
    const visit = async (session: string) => {
      const response = await server.request("/api/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(pageview(session, "/", { site: "shop.test" })),
      });
      expect(response.status).toBe(201);
    };
    await visit("early");
    await server.json("/api/alerts/rules", "POST", {
      kind: "spike",
      site: "shop.test",
      threshold: 2,
    });
    await server.json("/api/alerts/rules", "POST", {
      kind: "drop",
      site: "shop.test",
      floor: 2,
      window_minutes: 5,
    });
    await server.json("/api/alerts/destinations", "POST", {
      name: "Ops Slack",
      type: "slack",
      url: receiver.url,
    });
    // A spike (two visitors in a minute), which ends as the minute passes; then traffic stops.
    await visit("a");
    await visit("b");
    clock.advance(2 * MINUTE);
    await server.alerting.tick(clock.now());
    clock.advance(4 * MINUTE);
    await server.alerting.tick(clock.now());
    const history = await server.json<{ alerts: { kind: string }[] }>("/api/alerts");
    expect(history.body.alerts.map((alert) => alert.kind)).toEqual([
      "drop",
      "spike_ended",
      "spike",
    ]);
    await eventually(() => receiver.received.length === 3);

    const context = await browser.newContext();
    await followClock(context, clock);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server.url}/#token=${TEST_TOKEN}`);

    const drop = page.locator('[data-testid="alert"][data-kind="drop"]');
    await drop.waitFor();
    expect(await drop.getAttribute("data-replayed")).toBe("true");
    expect(await drop.textContent()).toContain("in progress");
    expect(await drop.textContent()).toContain("Traffic drop on shop.test");
    const earlier = page.locator('[data-testid="alert"][data-earlier="true"]');
    await eventually(async () => (await earlier.count()) === 2);
    expect(
      await earlier.evaluateAll((items) => items.map((li) => li.getAttribute("data-kind"))),
    ).toEqual(["spike_ended", "spike"]);
    expect(await page.locator('[data-testid="alert"]').count()).toBe(3);

    await page.click('[data-testid="view-settings"]');
    await page.locator('[data-testid="settings-rule"]').nth(1).waitFor();
    const rules = await page.locator('[data-testid="settings-rule"]').allTextContents();
    expect(rules[0]).toContain("≥ 2 visitors in a minute");
    expect(rules[1]).toContain("< 2 visitors in 5 min");
    const destination = page.locator('[data-testid="settings-destination"]');
    expect(await destination.textContent()).toContain("Ops Slack");
    expect(await destination.locator('[data-testid="last-delivery"]').textContent()).toContain(
      "delivered",
    );
    expect(page.url()).toContain("view=settings");
    expect(errors).toEqual([]);
    await context.close();
  });
});
