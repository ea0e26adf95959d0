import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { LEAVE_GRACE_MS } from "../../dashboard/session-list.ts";
import { followClock, hasChromium, launchBrowser, ShiftedClock } from "../support/browser.ts";
import { text, until } from "../support/page.ts";
import { pageview, startTestServer, TEST_TOKEN, type TestServer } from "../support/server.ts";

// The Live view in Chromium: sessions that read as visits, a navigation that is no leave, and the
// journey of a visitor who has left.

const DESKTOP_CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";
const SLOW_TEST_MS = 30_000;

const counter = async (page: Page, testId: string) =>
  Number((await text(page, testId)).replace(/,/g, ""));

const row = (page: Page, sessionId: string) =>
  page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);

const rowState = (page: Page, sessionId: string) =>
  row(page, sessionId)
    .getAttribute("data-state", { timeout: 1000 })
    .catch(() => null);

/** A tracked visit, as the tracker sends it from a desktop Chrome (enriched by /api/collect). */
async function collect(server: TestServer, event: Record<string, unknown>): Promise<void> {
  const response = await server.request("/api/collect", {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": DESKTOP_CHROME },
    body: JSON.stringify(event),
  });
  expect(response.status).toBe(202);
}

describe.skipIf(!hasChromium)("the Live view in a browser", () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const servers: TestServer[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openLive() {
    const clock = new ShiftedClock();
    const server = startTestServer({}, { clock });
    servers.push(server);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await followClock(context, clock);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server.url}/#token=${TEST_TOKEN}`);
    await until(
      () => text(page, "connection-status"),
      (status) => status === "Connected",
      "connected",
    );
    return { server, page, errors };
  }

  test(
    "a session row reads as a visit; a navigation is no leave; a visitor who left shows as left and their journey opens",
    async () => {
      const { server, page, errors } = await openLive();
      const visit = { site: "shop", country: "ES", utm_source: "newsletter" };
      await collect(server, pageview("visit-1", "/landing", { ...visit, title: "Spring sale" }));
      await collect(server, pageview("visit-1", "/pricing", { ...visit, title: "Pricing" }));

      const visitRow = row(page, "visit-1");
      await until(
        () => visitRow.textContent().then((value) => value ?? ""),
        (value) => value.includes("Pricing"),
        "the row shows the current page's title",
      );
      const rowText = (await visitRow.textContent()) ?? "";
      for (const part of ["in at /landing", "newsletter", "🇪🇸 Spain", "Chrome", "Windows"]) {
        expect(rowText).toContain(part);
      }
      expect(await visitRow.getAttribute("title")).toBe("Session visit-1");
      expect(await row(page, "visit-1").getByTestId("session-device").textContent()).toBe(
        "Chrome · Windows · desktop",
      );
      await until(
        () => counter(page, "visitors-right-now"),
        (value) => value === 1,
        "one visitor right now",
      );

      // pagehide on /pricing, then the next page loads: the row never shows a leave.
      const seen = { states: new Set<string | null>(), counts: new Set<number>() };
      const watch = async () => {
        seen.states.add(await rowState(page, "visit-1"));
        seen.counts.add(await counter(page, "active-visitors"));
      };
      await collect(server, { type: "session_end", page: "/pricing", session_id: "visit-1" });
      await watch();
      await collect(server, pageview("visit-1", "/checkout", { ...visit, title: "Checkout" }));
      await until(
        () => visitRow.textContent().then((value) => value ?? ""),
        (value) => value.includes("Checkout"),
        "the next page shows",
      );
      await watch();
      expect(seen.counts).toEqual(new Set([1]));
      expect(seen.states.has("left")).toBe(false);
      const feedTypes = await page
        .getByTestId("feed-item")
        .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.type));
      expect(feedTypes).not.toContain("session_end");

      // Now the visitor leaves for good: leaving (still counted) for the grace, then left.
      await collect(server, { type: "session_end", page: "/checkout", session_id: "visit-1" });
      await until(
        () => rowState(page, "visit-1"),
        (state) => state === "leaving",
        "the row is leaving",
      );
      expect(await counter(page, "active-visitors")).toBe(1);
      await until(
        () => rowState(page, "visit-1"),
        (state) => state === "left",
        "the row has left once the grace passed",
        LEAVE_GRACE_MS + 5000,
      );
      await until(
        () => counter(page, "active-visitors"),
        (value) => value === 0,
        "no active visitor",
      );

      // Its journey still opens, from the API's ended session.
      await visitRow.click();
      const journey = page.getByTestId("journey");
      await until(
        () => journey.getByTestId("journey-page").allInnerTexts(),
        (pages) => pages.length === 3,
        "the whole journey",
      );
      expect(await journey.getByTestId("journey-page").allInnerTexts()).toEqual([
        "/landing",
        "/pricing",
        "/checkout",
      ]);
      expect(await text(page, "journey-note")).toContain("ended");
      const facts = (await journey.textContent()) ?? "";
      for (const part of ["/landing", "newsletter", "🇪🇸 Spain", "Checkout", "visit-1"]) {
        expect(facts).toContain(part);
      }
      expect(errors).toEqual([]);
    },
    SLOW_TEST_MS,
  );
});
