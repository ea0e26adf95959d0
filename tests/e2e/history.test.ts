import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { followClock, hasChromium, launchBrowser, ShiftedClock } from "../support/browser.ts";
import { text, until } from "../support/page.ts";
import { startTestServer, TEST_TOKEN, type TestServer } from "../support/server.ts";

const ARTIFACTS = join(import.meta.dir, "..", "..", "test-artifacts");
const SHOP = "shop.example";
const BLOG = "blog.example";

/**
 * What the tests send, all today (the server's clock is a fixed noon), and the hand count of it.
 * The visitor is the event's user_id, else its session.
 *
 * shop.example
 *   alice (US): /, /pricing, then Signup {plan: pro}     2 pageviews, not a bounce
 *   bob   (GB): /                                         1 pageview, a bounce
 *   carol (US): /blog, then Signup {plan: free}           1 pageview, a bounce
 *   s-dan (DE, no user_id): /, /about, /pricing           3 pageviews, not a bounce
 * blog.example
 *   eve   (FR): /post
 *
 * shop.example: 4 visitors, 4 visits, 7 pageviews, 1.75 views per visit, 50% bounce;
 * Signup: 2 visitors, 2 conversions, 50.00% of the 4 visitors.
 * Filtered to US: 2 visitors, 2 visits, 3 pageviews, 50% bounce.
 */
function seedEvents() {
  const pageview = (site: string, visitor: string, page: string, country: string) => ({
    type: "pageview",
    site,
    page,
    country,
    session_id: `s-${visitor}`,
    ...(visitor === "dan" ? {} : { user_id: visitor }),
  });
  const signup = (visitor: string, page: string, country: string, plan: string) => ({
    type: "custom",
    name: "Signup",
    site: SHOP,
    page,
    country,
    session_id: `s-${visitor}`,
    user_id: visitor,
    metadata: { plan },
  });
  return [
    pageview(SHOP, "alice", "/", "US"),
    pageview(SHOP, "alice", "/pricing", "US"),
    signup("alice", "/pricing", "US", "pro"),
    pageview(SHOP, "bob", "/", "GB"),
    pageview(SHOP, "carol", "/blog", "US"),
    signup("carol", "/blog", "US", "free"),
    pageview(SHOP, "dan", "/", "DE"),
    pageview(SHOP, "dan", "/about", "DE"),
    pageview(SHOP, "dan", "/pricing", "DE"),
    pageview(BLOG, "eve", "/post", "FR"),
  ];
}

/** Records every Content-Security-Policy violation the page meets. */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
  });
`;

const untilText = (page: Page, testId: string, expected: string) =>
  until(
    () => text(page, testId),
    (value) => value === expected,
    `${testId} should read ${expected}`,
  );

/** The six top-line figures as shown. */
const figures = async (page: Page) => ({
  visitors: await text(page, "figure-visitors"),
  visits: await text(page, "figure-visits"),
  pageviews: await text(page, "figure-pageviews"),
  views_per_visit: await text(page, "figure-views_per_visit"),
  bounce_rate: await text(page, "figure-bounce_rate"),
});

const untilFigures = (page: Page, expected: Awaited<ReturnType<typeof figures>>) =>
  until(
    () => figures(page),
    (shown) => JSON.stringify(shown) === JSON.stringify(expected),
    "the top-line figures",
  );

const ALL_OF_SHOP = {
  visitors: "4",
  visits: "4",
  pageviews: "7",
  views_per_visit: "1.75",
  bounce_rate: "50%",
};
const SHOP_IN_US = {
  visitors: "2",
  visits: "2",
  pageviews: "3",
  views_per_visit: "1.50",
  bounce_rate: "50%",
};

const sumOf = (value: string | null) =>
  (value ?? "")
    .split(",")
    .filter((part) => part !== "")
    .reduce((sum, part) => sum + Number(part), 0);

describe.skipIf(!hasChromium)("the History view in a browser", () => {
  let browser: Browser;
  let server: TestServer;
  const contexts: BrowserContext[] = [];
  const clock = new ShiftedClock();

  beforeAll(async () => {
    browser = await launchBrowser();
    server = startTestServer({}, { clock });
    const response = await server.postEvent(seedEvents());
    expect(response.status).toBe(201);
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(path: string, width = 1280, height = 900) {
    const context = await browser.newContext({ viewport: { width, height } });
    contexts.push(context);
    await followClock(context, clock);
    const page = await context.newPage();
    await page.addInitScript(RECORD_CSP_VIOLATIONS);
    const errors: string[] = [];
    const sent: { type: string; data?: unknown }[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("websocket", (socket) => {
      socket.on("framesent", ({ payload }) => sent.push(JSON.parse(String(payload))));
    });
    await page.goto(`${server.url}${path}#token=${TEST_TOKEN}`);
    return { page, errors, sent };
  }

  test("the History view shows the busiest site's figures as counted by hand, and its chart", async () => {
    const { page, errors } = await open("/?view=history");
    await untilFigures(page, ALL_OF_SHOP);
    // The busiest site was chosen, and written into the address to share.
    expect(new URL(page.url()).searchParams.get("site")).toBe(SHOP);
    expect(page.url()).not.toContain("token");
    expect(await page.getByTestId("dashboard").isHidden()).toBe(true);
    // Nothing before today: every change reads "new".
    expect(await text(page, "figure-visitors-change")).toBe("new");

    // The switcher lists both sites, busiest first.
    const switcher = page.getByTestId("site-switcher");
    expect(await switcher.getAttribute("data-sites")).toBe(`${SHOP},${BLOG}`);
    expect(await switcher.inputValue()).toBe(SHOP);

    // Seven days by day: every day is a bucket, today's holds everything.
    const chart = page.getByTestId("history-chart");
    await until(
      () => chart.getAttribute("data-pageviews"),
      (value) => sumOf(value) === 7,
      "the chart's pageviews",
    );
    expect((await chart.getAttribute("data-labels"))?.split(",")).toHaveLength(7);
    expect((await chart.getAttribute("data-visitors"))?.split(",").at(-1)).toBe("4");

    // Today by the hour.
    await page.getByTestId("range-day").click();
    await until(
      () => chart.getAttribute("data-labels"),
      (value) => value?.split(",").length === 24,
      "24 hours",
    );
    expect(new URL(page.url()).searchParams.get("range")).toBe("day");
    await untilFigures(page, ALL_OF_SHOP);

    // The breakdowns.
    expect(await text(page, "pages-panel-rows")).toContain("/pricing");
    expect(await text(page, "countries-panel-rows")).toContain("United States");
    expect(await text(page, "events-panel-rows")).toContain("Signup");

    expect(
      await page.evaluate(
        () => (window as unknown as { __cspViolations: string[] }).__cspViolations,
      ),
    ).toEqual([]);
    expect(errors).toEqual([]);
  });

  test("clicking a country filters the whole view, the address keeps it, and back undoes it", async () => {
    const { page, errors } = await open(`/?view=history&site=${SHOP}`);
    await untilFigures(page, ALL_OF_SHOP);

    await page.locator('[data-testid="countries-panel-row"][data-value="US"]').click();
    await untilFigures(page, SHOP_IN_US);
    expect(new URL(page.url()).searchParams.get("f.country")).toBe("US");
    const chip = page.getByTestId("filter-chip");
    expect(await chip.count()).toBe(1);
    expect(await chip.textContent()).toContain("United States");
    // The panels follow the filter too.
    await until(
      () => text(page, "countries-panel-rows"),
      (value) => !value.includes("Germany"),
      "only US in the countries panel",
    );

    // A bookmark of this address opens the same view in a new tab.
    const bookmark = page.url();
    const again = await open(new URL(bookmark).pathname + new URL(bookmark).search);
    await untilFigures(again.page, SHOP_IN_US);
    expect(await again.page.getByTestId("filter-chip").count()).toBe(1);
    expect(again.page.url()).toBe(bookmark);
    expect(again.errors).toEqual([]);

    // Back returns to the unfiltered view; forward brings the filter again.
    await page.goBack();
    await untilFigures(page, ALL_OF_SHOP);
    expect(await page.getByTestId("filter-chip").count()).toBe(0);
    await page.goForward();
    await untilFigures(page, SHOP_IN_US);

    // Removing the chip removes the filter.
    await page.getByTestId("filter-chip").click();
    await untilFigures(page, ALL_OF_SHOP);
    expect(new URL(page.url()).searchParams.has("f.country")).toBe(false);
    expect(errors).toEqual([]);
  });

  test("the Goals panel shows a custom event's conversions and rate, and its property breakdown", async () => {
    const { page, errors } = await open(`/?view=history&site=${SHOP}`);
    const goal = page.locator('[data-testid="goal-row"][data-value="Signup"]');
    await goal.waitFor({ timeout: 8000 });
    const cells = await goal.locator(".row-figure").allInnerTexts();
    expect(cells).toEqual(["2", "2", "50.00%"]);

    await goal.click();
    await untilText(page, "goal-detail-title", "Signup");
    await page.getByTestId("goal-property-input").fill("plan");
    await page.getByTestId("goal-property-submit").click();
    const rows = page.getByTestId("goal-property-row");
    await until(
      () => rows.evaluateAll((found) => found.map((row) => (row as HTMLElement).dataset.value)),
      (values) => values.length === 2,
      "two plans",
    );
    expect(
      (
        await rows.evaluateAll((found) => found.map((row) => (row as HTMLElement).dataset.value))
      ).sort(),
    ).toEqual(["free", "pro"]);

    // A page goal added from the panel counts the visitors who viewed a matching page (alice, dan).
    await page.getByTestId("page-goal-input").fill("/pricing*");
    await page.getByTestId("page-goal-submit").click();
    const pageGoal = page.locator('[data-testid="goal-row"][data-value="Visit /pricing*"]');
    await pageGoal.waitFor({ timeout: 8000 });
    expect(await pageGoal.locator(".row-figure").allInnerTexts()).toEqual(["2", "2", "50.00%"]);
    expect(errors).toEqual([]);
  });

  test("the site switcher moves History to another site and filters the Live view by it", async () => {
    const { page, errors, sent } = await open(`/?view=history&site=${SHOP}`);
    await untilFigures(page, ALL_OF_SHOP);
    await page.getByTestId("site-switcher").selectOption(BLOG);
    await untilFigures(page, {
      visitors: "1",
      visits: "1",
      pageviews: "1",
      views_per_visit: "1.00",
      bounce_rate: "100%",
    });
    expect(new URL(page.url()).searchParams.get("site")).toBe(BLOG);

    await page.getByTestId("view-live").click();
    await untilText(page, "connection-status", "Connected");
    expect(await page.getByTestId("history-view").isHidden()).toBe(true);
    expect(new URL(page.url()).searchParams.get("view")).toBeNull();
    await until(
      async () => sent,
      (frames) =>
        frames.some(
          (frame) =>
            frame.type === "subscribe" &&
            JSON.stringify(frame.data) === JSON.stringify({ filter: { site: BLOG } }),
        ),
      "a subscription to the chosen site",
    );
    // "All sites" is a choice on Live.
    await page.getByTestId("site-switcher").selectOption("");
    await until(
      async () => new URL(page.url()).searchParams.has("site"),
      (has) => !has,
      "the site leaves the address",
    );
    expect(errors).toEqual([]);
  });

  test("on a phone the History view fits without scrolling sideways and its panels stack", async () => {
    const { page, errors } = await open(`/?view=history&site=${SHOP}`, 390, 844);
    await untilFigures(page, ALL_OF_SHOP);
    await page.locator('[data-testid="goal-row"]').first().waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const lefts = await page
      .locator(".history-panel")
      .evaluateAll((panels) =>
        panels.map((panel) => Math.round(panel.getBoundingClientRect().left)),
      );
    expect(new Set(lefts).size).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "history-phone.png"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
