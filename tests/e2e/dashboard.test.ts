import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  FIXED_NOON,
  followClock,
  hasChromium,
  launchBrowser,
  ShiftedClock,
} from "../support/browser.ts";
import { text, until } from "../support/page.ts";
import {
  pageview,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
  temporaryDataDir,
} from "../support/server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const ARTIFACTS = join(ROOT, "test-artifacts");

/** For tests that wait on the dashboard's periodic refresh (every 5 s) more than once. */
const SLOW_TEST_MS = 30_000;

interface SentFrame {
  type: string;
  data?: Record<string, unknown>;
}

interface Dashboard {
  page: Page;
  /** Console errors and uncaught exceptions in the page. */
  errors: string[];
  /** Every frame the page sent over its WebSocket. */
  sent: SentFrame[];
  /** Every frame the page received over its WebSocket. */
  received: SentFrame[];
}

interface OpenOptions {
  token?: string | null;
  width?: number;
  height?: number;
  /** Runs in the page before its own scripts (to observe what the page does). */
  initScript?: string;
}

/**
 * Console errors Chromium itself logs for failed requests a test provokes on purpose (a refused
 * token, a server that is down). The page cannot silence them: they are the browser's own log of
 * the network, not uncaught errors of ours. Each is matched exactly; anything else still fails.
 */
const CHROMIUM_LOGS = {
  socketRefused:
    /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\?token=[^']*' failed: HTTP Authentication failed; no valid credentials available$/,
  requestRefused:
    /^Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$/,
  socketServerDown:
    /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\?token=[^']*' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$/,
  requestServerDown: /^Failed to load resource: net::ERR_CONNECTION_REFUSED$/,
};

/** The errors left once the browser's own log of the expected failures is set aside. */
const unexpectedErrors = (errors: readonly string[], ...expected: RegExp[]) =>
  errors.filter((error) => !expected.some((pattern) => pattern.test(error)));

/**
 * Wraps requestAnimationFrame to count, per frame (callbacks of one frame share its timestamp),
 * how many times the page drew: the renderer counts its draws in <body data-draws>.
 */
const COUNT_DRAWS_PER_FRAME = `
  window.__footfallFrames = {};
  const requestFrame = window.requestAnimationFrame.bind(window);
  const draws = () => Number(document.body?.dataset.draws ?? 0);
  window.requestAnimationFrame = (callback) =>
    requestFrame((time) => {
      const before = draws();
      callback(time);
      const drawn = draws() - before;
      if (drawn > 0) window.__footfallFrames[time] = (window.__footfallFrames[time] ?? 0) + drawn;
    });
`;

/** Records every Content-Security-Policy violation the page meets (blocked or reported). */
const RECORD_CSP_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
  });
`;

const cspViolations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);

/** A stand-in AudioContext that counts contexts created and beeps started. */
const RECORD_AUDIO = `
  window.__footfallAudio = { contexts: 0, resumed: 0, beeps: 0 };
  const node = () => ({ connect: (next) => next, gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} } });
  window.AudioContext = class {
    constructor() { window.__footfallAudio.contexts++; this.currentTime = 0; this.destination = {}; }
    resume() { window.__footfallAudio.resumed++; return Promise.resolve(); }
    createGain() { return node(); }
    createOscillator() {
      return { ...node(), type: "", frequency: { value: 0 }, start() { window.__footfallAudio.beeps++; }, stop() {} };
    }
  };
`;

const untilText = (page: Page, testId: string, expected: string | RegExp, timeoutMs = 5000) =>
  until(
    () => text(page, testId),
    (value) => (typeof expected === "string" ? value === expected : expected.test(value)),
    `[data-testid=${testId}] should read ${expected}`,
    timeoutMs,
  );

const counter = async (page: Page, testId: string) =>
  Number((await text(page, testId)).replace(/,/g, ""));

const untilCounter = (page: Page, testId: string, expected: number, timeoutMs = 5000) =>
  until(
    () => counter(page, testId),
    (value) => value === expected,
    `[data-testid=${testId}] should count ${expected}`,
    timeoutMs,
  );

const feedPages = (page: Page) =>
  page.locator('[data-testid="feed-item"] .feed-page').allInnerTexts();

const sessionIds = (page: Page) =>
  page
    .getByTestId("session-row")
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.sessionId ?? ""));

/** Visitors per minute as the chart drew them, oldest minute first. */
const chartVisitors = (page: Page) =>
  page
    .getByTestId("chart")
    .getAttribute("data-visitors")
    .then((value) => (value ?? "").split(",").map(Number));

/** What Chromium sends for a page load. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("serving the dashboard", () => {
  test("the page is public, and its bundled script and styles are cached for good", async () => {
    const server = startTestServer();
    try {
      // A browser asks for HTML; other clients get the JSON root information.
      const page = await server.request("/", { headers: { accept: BROWSER_ACCEPT } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="\.?(\/chunk-[\w-]+\.(?:js|css))"/g)].map(
        (match) => match[1] ?? "",
      );
      expect(assets.some((path) => path.endsWith(".js"))).toBe(true);
      expect(assets.some((path) => path.endsWith(".css"))).toBe(true);
      for (const path of assets) {
        const asset = await server.request(path);
        expect(asset.status).toBe(200);
        expect(asset.headers.get("content-type")).toContain(
          path.endsWith(".js") ? "javascript" : "text/css",
        );
        expect(asset.headers.get("cache-control")).toContain("immutable");
      }
      expect((await server.request("/chunk-missing.js")).status).toBe(404);
      const etag = page.headers.get("etag") ?? "";
      const again = await server.request("/", {
        headers: { accept: BROWSER_ACCEPT, "if-none-match": etag },
      });
      expect(again.status).toBe(304);
    } finally {
      await server.stop();
    }
  });
});

/**
 * Every server here runs on a clock that starts at a fixed noon, and its pages read the same clock
 * (`followClock`): what "today" and "this minute" hold never depends on when the suite runs.
 */
describe.skipIf(!hasChromium)("the live dashboard in a browser", () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const servers: TestServer[] = [];
  const clocks = new Map<TestServer, ShiftedClock>();

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    clocks.clear();
  });

  afterAll(async () => {
    await browser?.close();
  });

  function serve(env: Record<string, string> = {}, clock = new ShiftedClock()): TestServer {
    const server = startTestServer(env, { clock });
    servers.push(server);
    clocks.set(server, clock);
    return server;
  }

  async function open(server: TestServer, options: OpenOptions = {}): Promise<Dashboard> {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    contexts.push(context);
    const clock = clocks.get(server);
    if (clock) await followClock(context, clock);
    const page = await context.newPage();
    await page.addInitScript(RECORD_CSP_VIOLATIONS);
    if (options.initScript) await page.addInitScript(options.initScript);
    const errors: string[] = [];
    const sent: SentFrame[] = [];
    const received: SentFrame[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("websocket", (socket) => {
      socket.on("framesent", ({ payload }) => sent.push(JSON.parse(String(payload))));
      socket.on("framereceived", ({ payload }) => received.push(JSON.parse(String(payload))));
    });
    const token = options.token === undefined ? TEST_TOKEN : options.token;
    await page.goto(token === null ? `${server.url}/` : `${server.url}/#token=${token}`);
    return { page, errors, sent, received };
  }

  async function openConnected(server: TestServer, options: OpenOptions = {}) {
    const dashboard = await open(server, options);
    await untilText(dashboard.page, "connection-status", "Connected");
    // The first detailed_stats has filled the counters.
    await until(
      () => text(dashboard.page, "pageviews-today"),
      (value) => value !== "–",
      "counters filled",
    );
    return dashboard;
  }

  test("the dashboard connects with the token from the address, then takes it out of the address", async () => {
    const server = serve();
    const { page, errors } = await openConnected(server);
    expect(page.url()).not.toContain("token");
    expect(await text(page, "dashboard-count")).toBe("1");

    // The token stays for this tab: a reload connects again.
    await page.reload();
    await untilText(page, "connection-status", "Connected");
    expect(errors).toEqual([]);
  });

  test("an event posted over HTTP shows up in the counters, the feed, the sessions list and the chart", async () => {
    const server = serve();
    const { page, errors } = await openConnected(server);
    expect(await counter(page, "pageviews-today")).toBe(0);

    const response = await server.postEvent(
      pageview("visitor-1", "/products", { country: "India", metadata: { device: "mobile" } }),
    );
    expect(response.status).toBe(201);

    await untilCounter(page, "pageviews-today", 1);
    await untilCounter(page, "active-visitors", 1);
    await untilCounter(page, "visitors-last-minute", 1);
    expect(await feedPages(page)).toEqual(["/products"]);
    expect(await sessionIds(page)).toEqual(["visitor-1"]);
    const row = page.getByTestId("session-row").first();
    expect(await row.textContent()).toContain("India");
    await until(
      () => chartVisitors(page),
      (visitors) => visitors.length === 10 && visitors.at(-1) === 1,
      "this minute's bar counts one visitor",
    );
    expect(await text(page, "top-pages")).toContain("/products");
    expect(await text(page, "top-countries")).toContain("India");
    expect(await text(page, "top-devices")).toContain("mobile");

    // The range buttons widen the chart.
    await page.getByTestId("range-60").click();
    await until(
      () => chartVisitors(page),
      (visitors) => visitors.length === 60 && visitors.at(-1) === 1,
      "an hour of minutes",
    );
    expect(errors).toEqual([]);
  });

  test("under its Content-Security-Policy the page runs, draws and connects with nothing blocked", async () => {
    const server = serve();
    const { page, errors } = await openConnected(server);
    const home = await server.request("/", { headers: { accept: BROWSER_ACCEPT } });
    const policy = home.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("script-src 'self'");
    for (let index = 0; index < 3; index++) {
      await server.postEvent(
        pageview(`csp-${index}`, `/csp/${index}`, {
          country: "Japan",
          metadata: { device: "tablet" },
        }),
      );
    }
    await untilCounter(page, "pageviews-today", 3);
    await until(
      () => chartVisitors(page),
      (visitors) => visitors.at(-1) === 3,
      "the chart drew this minute's visitors",
    );
    await page.getByTestId("range-30").click();
    await page.getByTestId("session-row").first().click();
    await page.getByTestId("change-token").click();
    await page.waitForTimeout(200);
    expect(await cspViolations(page)).toEqual([]);
    expect(errors.filter((error) => /Content Security Policy/i.test(error))).toEqual([]);
  });

  test("the feed lists the newest event first", async () => {
    const server = serve();
    const { page } = await openConnected(server);
    for (const path of ["/first", "/second", "/third"]) {
      await server.postEvent(pageview("reader", path));
    }
    await until(
      () => feedPages(page),
      (pages) => pages.length === 3,
      "three events in the feed",
    );
    expect(await feedPages(page)).toEqual(["/third", "/second", "/first"]);
  });

  test("clicking a session shows its whole journey", async () => {
    const server = serve();
    for (const path of ["/", "/products", "/products/42", "/checkout"]) {
      await server.postEvent(pageview("shopper", path, { country: "Spain" }));
    }
    await server.postEvent(pageview("browser-only", "/blog"));
    const { page, errors } = await openConnected(server);

    await page.locator('[data-testid="session-row"][data-session-id="shopper"]').click();
    const journey = page.getByTestId("journey");
    await until(
      () => journey.getByTestId("journey-page").allInnerTexts(),
      (pages) => pages.length === 4,
      "four pages in the journey",
    );
    expect(await journey.getByTestId("journey-page").allInnerTexts()).toEqual([
      "/",
      "/products",
      "/products/42",
      "/checkout",
    ]);
    expect(await journey.textContent()).toContain("Spain");

    // It follows the session live.
    await server.postEvent(pageview("shopper", "/thanks", { country: "Spain" }));
    await until(
      () => journey.getByTestId("journey-page").allInnerTexts(),
      (pages) => pages.at(-1) === "/thanks",
      "the new page joins the journey",
    );
    expect(errors).toEqual([]);
  });

  test("a country filter sends its subscription and shows only that country's visitors", async () => {
    const server = serve();
    await server.postEvent(pageview("indian-1", "/in", { country: "India" }));
    await server.postEvent(pageview("indian-1", "/in/more", { country: "India" }));
    await server.postEvent(pageview("french-1", "/fr", { country: "France" }));
    const { page, sent, errors } = await openConnected(server);
    await untilCounter(page, "pageviews-today", 3);

    await page.getByTestId("filter-country").fill("India");
    await page.getByTestId("filter-apply").click();

    const india = { country: "India" };
    await until(
      async () => sent,
      (frames) => frames.some((frame) => frame.type === "track_dashboard_action"),
      "the filter's messages are sent",
    );
    expect(sent).toContainEqual({ type: "subscribe", data: { filter: india } });
    expect(sent).toContainEqual({ type: "request_detailed_stats", data: { filter: india } });
    expect(sent).toContainEqual({
      type: "track_dashboard_action",
      data: { action: "filter_applied", details: { filterType: "country" } },
    });

    await untilCounter(page, "pageviews-today", 2);
    await untilCounter(page, "active-visitors", 1);
    expect(await sessionIds(page)).toEqual(["indian-1"]);
    expect(await feedPages(page)).toEqual(["/in/more", "/in"]);
    expect(await text(page, "filter-active")).toContain("India");

    // From now on only Indian visitors reach this dashboard.
    await server.postEvent(pageview("french-2", "/fr/new", { country: "France" }));
    await server.postEvent(pageview("indian-2", "/in/new", { country: "India" }));
    await untilCounter(page, "pageviews-today", 3);
    expect(await feedPages(page)).toEqual(["/in/new", "/in/more", "/in"]);
    expect((await sessionIds(page)).sort()).toEqual(["indian-1", "indian-2"]);
    const status = await server.request("/api/status", { auth: true });
    const body = (await status.json()) as { data: { dashboard_actions: Record<string, number> } };
    expect(body.data.dashboard_actions.filter_applied).toBe(1);

    // Showing all again brings everyone back.
    await page.getByTestId("filter-reset").click();
    await untilCounter(page, "pageviews-today", 5);
    expect(errors).toEqual([]);
  });

  test("a second dashboard raises the dashboards count on the first, and closing it lowers it", async () => {
    const server = serve();
    const first = await openConnected(server);
    expect(await text(first.page, "dashboard-count")).toBe("1");

    const second = await openConnected(server);
    await untilText(first.page, "dashboard-count", "2");
    expect(await text(second.page, "dashboard-count")).toBe("2");

    expect(second.errors).toEqual([]);
    await second.page.close();
    await untilText(first.page, "dashboard-count", "1");
    expect(first.errors).toEqual([]);
  });

  test("when the server stops the dashboard says so, and a restarted server brings Connected back by itself", async () => {
    const dataDir = temporaryDataDir();
    const clock = new ShiftedClock();
    const before = startTestServer({ DATA_DIR: dataDir }, { clock });
    clocks.set(before, clock);
    let after: TestServer | undefined;
    try {
      const port = new URL(before.url).port;
      await before.postEvent(pageview("survivor", "/before"));
      const { page, errors } = await openConnected(before);
      await untilCounter(page, "pageviews-today", 1);

      await before.stop();
      await untilText(page, "connection-status", /^(Reconnecting|Disconnected)$/);

      after = startTestServer({ PORT: port, DATA_DIR: dataDir }, { clock });
      await untilText(page, "connection-status", "Connected", 15_000);
      // Live again: a new event arrives on top of what the restarted server kept.
      await after.postEvent(pageview("survivor", "/after"));
      await untilCounter(page, "pageviews-today", 2);
      // While the server was away, Chromium logged each refused attempt to reconnect.
      expect(
        unexpectedErrors(errors, CHROMIUM_LOGS.socketServerDown, CHROMIUM_LOGS.requestServerDown),
      ).toEqual([]);
    } finally {
      await before.stop();
      await after?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a spike alert appears when visitors in the last minute reach the threshold", async () => {
    const server = serve({ ALERT_THRESHOLD: "3" });
    const { page, errors } = await openConnected(server);
    for (const session of ["a", "b", "c"]) await server.postEvent(pageview(`visitor-${session}`));

    const alert = page.locator('[data-testid="alert"][data-kind="spike"]');
    await alert.waitFor({ timeout: 5000 });
    expect(await alert.getAttribute("data-level")).toBe("warning");
    expect(await alert.textContent()).toContain("High visitor activity");
    expect(errors).toEqual([]);
  });

  test("a dashboard opened during a spike shows it in progress, and today's last milestone", async () => {
    const server = serve({ ALERT_THRESHOLD: "3" });
    const events = Array.from({ length: 100 }, (_, n) => pageview(`early-${n % 4}`, `/p${n % 5}`));
    expect((await server.postEvent(events)).status).toBe(201);
    const { page, errors, received } = await openConnected(server);

    const spike = page.locator('[data-testid="alert"][data-kind="spike"]');
    await spike.waitFor({ timeout: 5000 });
    expect(await spike.getAttribute("data-replayed")).toBe("true");
    expect(await spike.getAttribute("data-level")).toBe("warning");
    expect(await spike.textContent()).toContain("in progress");
    expect(await spike.textContent()).toContain("4 visitors in the last minute");
    const milestone = page.locator('[data-testid="alert"][data-kind="milestone"]');
    expect(await milestone.getAttribute("data-replayed")).toBe("true");
    expect(await milestone.textContent()).toContain("earlier today");
    // The spike in progress is listed first, above the older milestone.
    expect(await page.getByTestId("alert").first().getAttribute("data-kind")).toBe("spike");
    expect(received.filter((frame) => frame.type === "alert")).toHaveLength(2);

    // A reconnection (the server closes every dashboard) replays them again: not listed twice.
    server.services.hub.closeAll();
    await until(
      async () => received.filter((frame) => frame.type === "alert").length,
      (count) => count === 4,
      "the alerts replayed on reconnecting",
      10_000,
    );
    await untilText(page, "connection-status", "Connected");
    expect(await page.getByTestId("alert").count()).toBe(2);
    expect(errors).toEqual([]);
  });

  test("when the visitors of a spike leave the last minute, the dashboard shows that the spike ended", async () => {
    const clock = new ShiftedClock();
    const server = serve({ ALERT_THRESHOLD: "3" }, clock);
    const { page, errors } = await openConnected(server);
    for (const session of ["a", "b", "c"]) await server.postEvent(pageview(`visitor-${session}`));
    await page.locator('[data-testid="alert"][data-kind="spike"]').waitFor({ timeout: 5000 });

    // A minute on, no visitor is left in the last minute (below 80% of the threshold): no event
    // arrives, so the server's once-a-second check is what ends the spike.
    clock.advance(61_000);
    await followClock(page.context(), clock);
    const ended = page.locator('[data-testid="alert"][data-kind="spike_ended"]');
    await ended.waitFor({ timeout: 10_000 });
    expect(await ended.getAttribute("data-level")).toBe("info");
    expect(await ended.textContent()).toContain("Spike ended");
    expect(await ended.textContent()).toContain("back to normal: 0 in the last minute");
    // The spike's own alert stays listed beneath its end.
    expect(await page.locator('[data-testid="alert"]').count()).toBe(2);
    expect(await page.locator('[data-testid="alert"]').first().getAttribute("data-kind")).toBe(
      "spike_ended",
    );
    expect(errors).toEqual([]);
  });

  test("Clear view empties this page's feed, chart and alerts but keeps the counters", async () => {
    const server = serve({ ALERT_THRESHOLD: "2" });
    const { page } = await openConnected(server);
    await server.postEvent([pageview("one", "/x"), pageview("two", "/y")]);
    await page.locator('[data-testid="alert"]').first().waitFor({ timeout: 5000 });
    await until(
      () => feedPages(page),
      (pages) => pages.length === 2,
      "two events",
    );

    await page.getByTestId("clear-view").click();
    await until(
      () => page.getByTestId("feed-item").count(),
      (count) => count === 0,
      "empty feed",
    );
    expect(await page.getByTestId("alert").count()).toBe(0);
    expect((await chartVisitors(page)).every((visitors) => visitors === 0)).toBe(true);
    expect(await counter(page, "pageviews-today")).toBe(2);
    // Stored data is untouched.
    const summary = await server.request("/api/analytics/summary", { auth: true });
    expect(
      ((await summary.json()) as { data: { summary: { total_today: number } } }).data.summary
        .total_today,
    ).toBe(2);
  });

  test("without a token the page says it needs one and shows the form, which then connects", async () => {
    const server = serve();
    const { page, errors } = await open(server, { token: null });
    await page.getByTestId("token-form").waitFor();
    expect(await text(page, "token-message")).toContain("needs the API token");
    expect(await page.getByTestId("dashboard").isHidden()).toBe(true);
    expect(await text(page, "connection-status")).toBe("Disconnected");

    await page.getByTestId("token-input").fill(TEST_TOKEN);
    await page.getByTestId("token-submit").click();
    await untilText(page, "connection-status", "Connected");
    expect(await page.getByTestId("token-panel").isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  test("a wrong token brings the form back with a message", async () => {
    const server = serve();
    const { page, errors } = await open(server, { token: "not-the-right-token-at-all" });
    await page.getByTestId("token-form").waitFor({ timeout: 5000 });
    expect(await text(page, "token-message")).toContain("refused");
    expect(await text(page, "connection-status")).toBe("Disconnected");
    expect(await page.getByTestId("dashboard").isHidden()).toBe(true);
    // The refused token is not kept: a reload asks again.
    await page.reload();
    await page.getByTestId("token-form").waitFor();
    expect(await text(page, "token-message")).toContain("needs the API token");
    // Chromium logs the refused upgrade and the 401 of the request that tells it from a server
    // that is down; nothing else may appear.
    expect(
      unexpectedErrors(errors, CHROMIUM_LOGS.socketRefused, CHROMIUM_LOGS.requestRefused),
    ).toEqual([]);
  });

  test("a 401 from the API while connected brings the token form back", async () => {
    const server = serve();
    await server.postEvent(pageview("shopper", "/cart"));
    const { page, errors } = await openConnected(server);
    await untilCounter(page, "pageviews-today", 1);
    // As if the server's token had changed under the open page: the journey request reaches the
    // real server with a token it refuses, and the server's own 401 comes back.
    await page.route("**/api/analytics/sessions/**", (route) =>
      route.continue({
        headers: { ...route.request().headers(), authorization: "Bearer a-token-that-was-revoked" },
      }),
    );

    await page.locator('[data-testid="session-row"][data-session-id="shopper"]').click();
    await page.getByTestId("token-form").waitFor({ timeout: 5000 });
    expect(await text(page, "token-message")).toContain("refused");
    expect(await page.getByTestId("dashboard").isHidden()).toBe(true);
    await untilText(page, "connection-status", "Disconnected");
    // The refused token is forgotten.
    await page.reload();
    await page.getByTestId("token-form").waitFor();
    expect(await text(page, "token-message")).toContain("needs the API token");
    expect(unexpectedErrors(errors, CHROMIUM_LOGS.requestRefused)).toEqual([]);
  });

  test("a burst of 1,000 events arrives in batches, is shown in full and drawn at most once per animation frame", async () => {
    const server = serve();
    const { page, errors, received } = await openConnected(server, {
      initScript: COUNT_DRAWS_PER_FRAME,
    });
    const countries = ["India", "Spain", "Brazil", "Japan"];
    const devices = ["mobile", "desktop", "tablet"];
    for (let batch = 0; batch < 10; batch++) {
      const events = Array.from({ length: 100 }, (_, index) => {
        const n = batch * 100 + index;
        return pageview(`burst-${n % 200}`, `/page-${n % 7}`, {
          country: countries[n % countries.length],
          metadata: { device: devices[n % devices.length] },
        });
      });
      const response = await server.postEvent(events);
      expect(response.status).toBe(201);
    }

    await untilCounter(page, "pageviews-today", 1000, 10_000);
    await untilCounter(page, "active-visitors", 200);
    await untilCounter(page, "visitors-last-minute", 200);
    expect(await page.getByTestId("feed-item").count()).toBe(100);
    await until(
      () => chartVisitors(page),
      (visitors) => visitors.at(-1) === 200,
      "200 visitors this minute",
    );
    const devicesText = await text(page, "top-devices");
    expect(devicesText).toContain("mobile");
    // 1,000 pageviews is a milestone.
    await page.locator('[data-testid="alert"][data-kind="milestone"]').first().waitFor();

    // The page asked for batching (?batch=1): past its frame budget the server coalesced events,
    // and the page took them from batches.
    const batches = received.filter((frame) => frame.type === "visitor_batch");
    expect(batches.length).toBeGreaterThan(0);
    const drawing = await page.evaluate(() => {
      const observed = (window as unknown as { __footfallFrames: Record<string, number> })
        .__footfallFrames;
      return {
        total: Number(document.body.dataset.draws),
        inFrames: Object.values(observed).reduce((sum, draws) => sum + draws, 0),
        mostInOneFrame: Math.max(0, ...Object.values(observed)),
      };
    });
    expect(drawing.mostInOneFrame).toBe(1);
    // Every draw but the first paint ran inside an animation frame.
    expect(drawing.total - drawing.inFrames).toBe(1);
    // Far fewer draws than frames received.
    expect(drawing.total).toBeLessThan(received.length);
    expect(errors).toEqual([]);
  });

  test(
    "the counters fall when visitors leave the last minute and their sessions time out, with no new event",
    async () => {
      const clock = new ShiftedClock();
      const server = serve({}, clock);
      await server.postEvent([pageview("leaving-1", "/a"), pageview("leaving-2", "/b")]);
      const { page, errors } = await openConnected(server);
      await untilCounter(page, "active-visitors", 2);
      await untilCounter(page, "visitors-last-minute", 2);

      // A minute on, both have left the last minute, but their sessions are still open.
      clock.advance(61_000);
      await followClock(page.context(), clock);
      await untilCounter(page, "visitors-last-minute", 0, 15_000);
      expect(await counter(page, "active-visitors")).toBe(2);

      // Past the 30-minute session timeout they end, and the active count and the list follow.
      clock.advance(30 * 60_000);
      await followClock(page.context(), clock);
      await untilCounter(page, "active-visitors", 0, 15_000);
      await until(
        () => sessionIds(page),
        (ids) => ids.length === 0,
        "no active sessions left",
      );
      expect(errors).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  test(
    "a dashboard opened now draws the minutes before it from stored history, over 10 and over 30 minutes",
    async () => {
      const minute = 60_000;
      const thisMinute = FIXED_NOON;
      const clock = new ShiftedClock(thisMinute - 20 * minute + 5_000);
      const server = serve({}, clock);
      await server.postEvent(["a", "b", "c"].map((id) => pageview(`early-${id}`, "/early")));
      clock.set(thisMinute - 5 * minute + 5_000);
      await server.postEvent(["a", "b", "c", "d"].map((id) => pageview(`recent-${id}`, "/recent")));
      // Sixty later events push those out of the live store's recent events (it keeps 50), so only
      // the stored history can draw them.
      clock.set(thisMinute - 2 * minute + 5_000);
      await server.postEvent(Array.from({ length: 60 }, (_, n) => pageview("filler", `/f/${n}`)));
      clock.set(thisMinute);
      const since = new Date(thisMinute - 30 * minute).toISOString();
      await until(
        async () => {
          const response = await server.request(
            `/api/analytics/timeseries?interval=minute&from=${since}`,
            { auth: true },
          );
          const body = (await response.json()) as { data: { points: { visitors: number }[] } };
          return body.data.points.reduce((sum, point) => sum + point.visitors, 0);
        },
        (visitors) => visitors === 8,
        "all eight visitors stored",
      );

      const { page, errors } = await openConnected(server);
      // Minutes -5 and -2, then this one.
      await until(
        () => chartVisitors(page),
        (visitors) => visitors.length === 10 && visitors.join(",").includes("4,0,0,1"),
        "four visitors five minutes ago, one two minutes ago",
      );
      expect(await chartVisitors(page)).not.toContain(3);

      await page.getByTestId("range-30").click();
      await until(
        () => chartVisitors(page),
        (visitors) =>
          visitors.length === 30 && visitors.join(",").includes(`3,${"0,".repeat(14)}4,0,0,1`),
        "half an hour of minutes, with the three visitors twenty minutes ago",
      );
      // Drawn in the same frame as the chart.
      expect(await page.getByTestId("range-30").getAttribute("aria-pressed")).toBe("true");
      expect(await page.getByTestId("range-10").getAttribute("aria-pressed")).toBe("false");
      expect(errors).toEqual([]);
    },
    SLOW_TEST_MS,
  );

  test("a page filter shows only that page's visitors, and keeps doing so live", async () => {
    const server = serve();
    await server.postEvent([
      pageview("pricing-1", "/pricing"),
      pageview("blog-1", "/blog"),
      pageview("blog-2", "/blog"),
    ]);
    const { page, sent, errors } = await openConnected(server);
    await untilCounter(page, "pageviews-today", 3);

    await page.getByTestId("filter-page").fill("pricing");
    await page.getByTestId("filter-apply").click();
    const pricing = { page: "/pricing" };
    await until(
      async () => sent,
      (frames) => frames.some((frame) => frame.type === "track_dashboard_action"),
      "the filter's messages are sent",
    );
    expect(sent).toContainEqual({ type: "subscribe", data: { filter: pricing } });
    expect(sent).toContainEqual({ type: "request_detailed_stats", data: { filter: pricing } });

    await untilCounter(page, "pageviews-today", 1);
    await until(
      () => feedPages(page),
      (pages) => pages.join(" ") === "/pricing",
      "only /pricing in the feed",
    );
    expect(await text(page, "filter-active")).toContain("page /pricing");

    await server.postEvent(pageview("blog-3", "/blog"));
    await server.postEvent(pageview("pricing-2", "/pricing"));
    await untilCounter(page, "pageviews-today", 2);
    expect(await feedPages(page)).toEqual(["/pricing", "/pricing"]);
    expect(await text(page, "top-pages")).not.toContain("/blog");
    expect(errors).toEqual([]);
  });

  test("with the alert sound turned on, an alert beeps through an AudioContext", async () => {
    const server = serve({ ALERT_THRESHOLD: "2" });
    const { page, errors } = await openConnected(server, { initScript: RECORD_AUDIO });
    const audio = () =>
      page.evaluate(
        () =>
          (
            window as unknown as {
              __footfallAudio: { contexts: number; resumed: number; beeps: number };
            }
          ).__footfallAudio,
      );
    // Silent until the user asks: no audio context at all.
    expect(await audio()).toEqual({ contexts: 0, resumed: 0, beeps: 0 });

    await page.getByTestId("alert-sound").check();
    expect(await audio()).toEqual({ contexts: 1, resumed: 1, beeps: 0 });

    await server.postEvent([pageview("loud-1"), pageview("loud-2")]);
    await page.locator('[data-testid="alert"][data-kind="spike"]').waitFor({ timeout: 5000 });
    // A warning beeps twice, on the one context.
    await until(audio, (state) => state.beeps === 2, "two beeps");
    expect((await audio()).contexts).toBe(1);
    expect(errors).toEqual([]);
  });

  test("on a phone-width screen everything fits without scrolling sideways", async () => {
    const server = serve();
    await server.postEvent(
      pageview("phone", "/a/rather/long/path/that/could/push/the/layout/wider/than/the/screen", {
        country: "United Kingdom",
      }),
    );
    const { page, errors } = await openConnected(server, { width: 375 });
    await untilCounter(page, "pageviews-today", 1);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
