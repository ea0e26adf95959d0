import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { followClock, hasChromium, launchBrowser, ShiftedClock } from "../support/browser.ts";
import { text, until } from "../support/page.ts";
import { eventually, startTestServer, TEST_TOKEN, type TestServer } from "../support/server.ts";

// The "done": a page with the one-line tracker, visited by Chromium with a normal
// User-Agent from a forwarded public IP, shows on both views of the dashboard with its country,
// browser, OS, source and campaign; a crawler's visit shows nowhere; the figures match a hand count.

const WINDOWS_CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";
const GOOGLEBOT =
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/140.0.0.0 Safari/537.36";
const GB_IP = "81.2.69.142";
const US_IP = "8.8.8.8";
const SITE = "shop.example";
const LANDING = "/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&secret=1";

/** The values (data-value) of a History panel's rows. */
const panelValues = (page: Page, panel: string) =>
  page
    .locator(`[data-testid="${panel}-row"]`)
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.value));

describe.skipIf(!hasChromium)("a site owner's first day with the tracker", () => {
  let server: TestServer;
  let website: ReturnType<typeof Bun.serve>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clock = new ShiftedClock();

  beforeAll(async () => {
    server = startTestServer({ TRUST_PROXY: "true" }, { clock });
    website = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(
          `<!doctype html><html><head><title>Spring sale</title>
           <script defer src="${server.url}/tracker.js" data-site="${SITE}"></script>
           </head><body><h1>Spring sale</h1></body></html>`,
          { headers: { "content-type": "text/html" } },
        ),
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await website?.stop(true);
    await server?.stop();
  });

  async function visit(userAgent: string, ip: string, path: string, referer?: string) {
    // The forwarded address stands for the visitor's public IP behind the site's proxy.
    const context = await browser.newContext({
      userAgent,
      extraHTTPHeaders: { "x-forwarded-for": ip },
    });
    contexts.push(context);
    await followClock(context, clock);
    const page = await context.newPage();
    await page.goto(`${website.url.toString().replace(/\/$/, "")}${path}`, { referer });
    return page;
  }

  async function query(body: Record<string, unknown>) {
    const response = await server.request("/api/analytics/query", {
      method: "POST",
      auth: true,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ site: SITE, date_range: "day", ...body }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { results: { dimensions: string[]; metrics: number[] }[] };
  }

  async function botsFiltered(): Promise<number> {
    const response = await server.request("/api/status", { auth: true });
    return ((await response.json()) as { data: { bots_filtered: number } }).data.bots_filtered;
  }

  test("the visit shows with its country, browser, OS, source and campaign; the crawler's nowhere", async () => {
    await visit(WINDOWS_CHROME, GB_IP, LANDING, "https://www.google.com/");
    await visit(GOOGLEBOT, US_IP, "/landing?utm_campaign=crawl");
    await eventually(async () => (await botsFiltered()) >= 1, 10_000);
    await eventually(
      async () => (await query({ metrics: ["visitors"] })).results[0]?.metrics[0] === 1,
      10_000,
    );

    // The query endpoint, by hand: one visitor, one visit, one pageview, a bounce, from GB.
    const totals = await query({
      metrics: ["visitors", "visits", "pageviews", "bounce_rate"],
    });
    expect(totals.results).toEqual([{ dimensions: [], metrics: [1, 1, 1, 100] }]);
    for (const [dimension, value] of [
      ["country", "GB"],
      ["browser", "Chrome"],
      ["os", "Windows"],
      ["device", "desktop"],
      ["source", "newsletter"],
      ["utm_campaign", "spring"],
      ["utm_medium", "email"],
      ["entry_page", "/landing"],
    ] as const) {
      const answer = await query({ metrics: ["visitors"], dimensions: [dimension] });
      expect({ dimension, rows: answer.results }).toEqual({
        dimension,
        rows: [{ dimensions: [value], metrics: [1] }],
      });
    }
    // Only the campaign parameters left the page: no other query parameter was stored.
    const pages = await query({ metrics: ["pageviews"], dimensions: ["page"] });
    expect(pages.results).toEqual([{ dimensions: ["/landing"], metrics: [1] }]);

    const dashboard = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(dashboard);
    await followClock(dashboard, clock);
    const page = await dashboard.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));

    // Live: one session row, read as a visit.
    await page.goto(`${server.url}/?site=${SITE}#token=${TEST_TOKEN}`);
    const rows = page.getByTestId("session-row");
    await until(
      () => rows.count(),
      (count) => count === 1,
      "one session row",
    );
    const row = (await rows.first().textContent()) ?? "";
    for (const part of ["🇬🇧 United Kingdom", "newsletter", "in at /landing", "Spring sale"]) {
      expect(row).toContain(part);
    }
    expect(await rows.first().getByTestId("session-device").textContent()).toBe(
      "Chrome · Windows · desktop",
    );

    // History: the same visit in the figures and every panel.
    await page.goto(`${server.url}/?view=history&site=${SITE}&range=day#token=${TEST_TOKEN}`);
    await until(
      () => text(page, "figure-visitors"),
      (value) => value.startsWith("1"),
      "one visitor in History",
    );
    await until(
      () => panelValues(page, "countries-panel"),
      (values) => values.join() === "GB",
      "the countries panel",
    );
    expect(await text(page, "countries-panel-rows")).toContain("United Kingdom");
    const tabs: [panel: string, dimension: string, value: string][] = [
      ["sources-panel", "source", "newsletter"],
      ["sources-panel", "utm_campaign", "spring"],
      ["devices-panel", "browser", "Chrome"],
      ["devices-panel", "os", "Windows"],
    ];
    for (const [panel, dimension, value] of tabs) {
      await page.getByTestId(`${panel}-tab-${dimension}`).click();
      await until(
        () => panelValues(page, panel),
        (values) => values.join() === value,
        `${panel} by ${dimension}`,
      );
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
