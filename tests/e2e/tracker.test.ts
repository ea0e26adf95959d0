import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  setDefaultTimeout,
  test,
} from "bun:test";
import type {
  Browser,
  BrowserContext,
  BrowserContextOptions,
  Page,
  Response as PageResponse,
} from "playwright-core";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { SESSION_IDLE_MS, SESSION_KEY } from "../../tracker/session.ts";
import { hasChromium, launchBrowser } from "../support/browser.ts";
import { eventually, startTestServer, type TestServer } from "../support/server.ts";

const DESKTOP_CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";

// Longer than the waits below, so a missing event fails with what did arrive, not a timeout.
setDefaultTimeout(30_000);

/** The page's view of the tracker's global (typed here, not declared globally for every file). */
type WithFootfall = { footfall?: (name: string, properties?: Record<string, unknown>) => void };

/** A page in the browser, with every console error and uncaught exception it produced. */
interface WatchedPage {
  page: Page;
  errors: string[];
  /** Event bodies the page posted to /api/collect, as the browser saw them. */
  sent: Record<string, unknown>[];
  /** How each of those went, as Chromium classes it: "ping" for a beacon, "fetch" for fetch. */
  transports: string[];
}

/** A request as it arrived at the recording gateway in front of the server. */
interface WireRequest {
  method: string;
  path: string;
  contentType: string | null;
  /** Sec-Fetch-Mode: a text/plain beacon goes "no-cors", a fetch from another origin "cors". */
  fetchMode: string | null;
  /** The site named in an event's body, to tell tests apart. */
  site?: string;
  /** The server's status, once it answered. */
  status?: number;
}

describe.skipIf(!hasChromium)("the tracker in a real browser", () => {
  let server: TestServer;
  let browser: Browser;
  /** Another origin embedding the tracker, as a customer's website does. */
  let website: ReturnType<typeof Bun.serve>;
  let websiteUrl: string;
  /**
   * Relays every request to the server and records it as it came off the wire: Playwright does
   * not report CORS preflights, so only the receiving end can show that none was made.
   */
  let gateway: ReturnType<typeof Bun.serve>;
  let gatewayUrl: string;
  const wire: WireRequest[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = startTestServer();
    browser = await launchBrowser();
    gateway = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) => relay(request, server.url, wire),
    });
    gatewayUrl = gateway.url.toString().replace(/\/$/, "");
    website = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) => {
        const url = new URL(request.url);
        return websitePage(url, url.searchParams.has("via-gateway") ? gatewayUrl : server.url);
      },
    });
    websiteUrl = website.url.toString().replace(/\/$/, "");
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    wire.length = 0;
  });

  afterAll(async () => {
    await browser?.close();
    await website?.stop(true);
    await gateway?.stop(true);
    await server?.stop();
  });

  async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    // Headless Chromium names itself HeadlessChrome, a bot's name to /api/collect: a visitor's
    // browser is a desktop Chrome unless the test says otherwise.
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME, ...options });
    contexts.push(context);
    return context;
  }

  async function open(context: BrowserContext, url: string): Promise<WatchedPage> {
    const page = await context.newPage();
    const watched: WatchedPage = { page, errors: [], sent: [], transports: [] };
    page.on("console", (message) => {
      if (message.type() === "error") watched.errors.push(message.text());
    });
    page.on("pageerror", (error) => watched.errors.push(error.message));
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/collect") {
        watched.sent.push(JSON.parse(request.postData() ?? "null"));
        watched.transports.push(request.resourceType());
      }
    });
    await page.goto(url);
    return watched;
  }

  /** The session id the tracker keeps in the page's localStorage. */
  async function storedSessionId(page: Page): Promise<string> {
    const stored = await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY);
    const id = stored?.split(".")[0];
    if (!id) throw new Error(`no session stored under ${SESSION_KEY}`);
    return id;
  }

  async function recentEvents(): Promise<VisitorEvent[]> {
    const response = await server.request("/api/analytics/detailed", { auth: true });
    const body = (await response.json()) as { data: { recent_events: VisitorEvent[] } };
    return body.data.recent_events;
  }

  /** Waits until the server has received `count` events matching `match`; oldest first. */
  async function receivedEvents(
    match: (event: VisitorEvent) => boolean,
    count: number,
  ): Promise<VisitorEvent[]> {
    let events: VisitorEvent[] = [];
    try {
      await eventually(async () => {
        events = (await recentEvents()).filter(match).reverse();
        return events.length >= count;
      }, 10_000);
    } catch {
      const seen = events.map((event) => [event.type, event.page]);
      throw new Error(`expected ${count} events, received ${JSON.stringify(seen)}`);
    }
    return events;
  }

  /** Waits until the page has posted `count` events; their bodies, in the order sent. */
  async function sentEvents(watched: WatchedPage, count: number) {
    await eventually(() => watched.sent.length >= count, 10_000);
    return watched.sent;
  }

  const ofSession = (sessionId: string) => (event: VisitorEvent) => event.session_id === sessionId;

  /** Beacons sent together may reach the server in any order: compare what arrived as a set. */
  const unordered = <T>(items: T[]) => items.map((item) => JSON.stringify(item)).sort();

  describe("on the demo pages", () => {
    test("loading a page sends a pageview with its path, the site, the title, the device and a session id", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(page);
      expect(sessionId).toMatch(/^[0-9a-z]{28}$/);

      const [pageview] = await receivedEvents(ofSession(sessionId), 1);
      expect(pageview).toMatchObject({
        type: "pageview",
        page: "/demo",
        site: "demo",
        session_id: sessionId,
        title: "Footfall demo",
        device: "desktop",
        metadata: { device: "desktop" },
      });
      // A visit typed in, or from the same host, has no referrer.
      expect(pageview?.referrer).toBeUndefined();
      expect(errors).toEqual([]);
    });

    test("an SPA navigation (history.pushState) sends another pageview in the same session", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.click("#spa-nav");
      expect(new URL(page.url()).pathname).toBe("/demo/pricing");
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events.map((event) => [event.type, event.page])).toEqual([
        ["pageview", "/demo"],
        ["pageview", "/demo/pricing"],
      ]);
      expect(events[1]).toMatchObject({ site: "demo", title: "Pricing · Footfall demo" });

      // replaceState without moving is no navigation; the back button (popstate) is one.
      await page.evaluate(() => history.replaceState({ scroll: 1 }, "", location.href));
      await page.goBack();
      const afterBack = await receivedEvents(ofSession(sessionId), 3);
      expect(afterBack.map((event) => event.page)).toEqual(["/demo", "/demo/pricing", "/demo"]);

      const session = await (
        await server.request(`/api/analytics/sessions/${sessionId}`, { auth: true })
      ).json();
      expect(session.data.session.journey).toEqual(["/demo", "/demo/pricing", "/demo"]);
      expect(errors).toEqual([]);
    });

    test("history.replaceState to a new path is a pageview; to the same path, whatever its query or state, it is not", async () => {
      const context = await newContext();
      const watched = await open(context, `${server.url}/demo`);
      const { page, errors } = watched;
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.evaluate(() => {
        history.replaceState({}, "", "/demo/about");
        history.replaceState({ tab: 2 }, "", "/demo/about");
        history.replaceState({}, "", "/demo/about?sort=new");
        // A marker sent last: once the page has sent it, it has sent any pageview before it.
        (window as WithFootfall).footfall?.("marker");
      });
      const sent = await sentEvents(watched, 3);
      expect(sent.map((body) => [body.type, body.page])).toEqual([
        ["pageview", "/demo"],
        ["pageview", "/demo/about"],
        ["custom", "/demo/about"],
      ]);
      const events = await receivedEvents(ofSession(sessionId), 3);
      expect(unordered(events.map((event) => [event.type, event.page]))).toEqual(
        unordered(sent.map((body) => [body.type, body.page])),
      );
      expect(errors).toEqual([]);
    });

    test("a session idle for 30 minutes is over: the next pageview starts a new one", async () => {
      const context = await newContext();
      // The page's clock, moved on by hand: the tracker reads Date.now().
      await context.clock.install();
      const { page, errors } = await open(context, `${server.url}/demo`);
      const first = await storedSessionId(page);
      await receivedEvents(ofSession(first), 1);

      // Activity just inside the limit keeps the session, and each event restarts the 30 minutes.
      await page.clock.fastForward(SESSION_IDLE_MS - 60_000);
      await page.click("#spa-nav");
      await page.clock.fastForward(SESSION_IDLE_MS - 60_000);
      await page.click("#signup");
      expect(await storedSessionId(page)).toBe(first);
      const kept = await receivedEvents(ofSession(first), 3);
      expect(unordered(kept.map((event) => event.type))).toEqual(
        unordered(["pageview", "pageview", "custom"]),
      );

      await page.clock.fastForward(SESSION_IDLE_MS + 60_000);
      await page.evaluate(() => history.pushState({}, "", "/demo/about"));
      const renewed = await storedSessionId(page);
      expect(renewed).not.toBe(first);
      expect(renewed).toMatch(/^[0-9a-z]{28}$/);
      const [pageview] = await receivedEvents(ofSession(renewed), 1);
      expect(pageview).toMatchObject({ type: "pageview", page: "/demo/about", site: "demo" });
      expect(errors).toEqual([]);
    });

    test("no cookie is set or sent: the session lives in localStorage", async () => {
      const context = await newContext();
      const responses: PageResponse[] = [];
      context.on("response", (response) => responses.push(response));

      const demo = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(demo.page);
      await demo.page.click("#spa-nav");
      await demo.page.click("#signup");
      await Promise.all([
        demo.page.waitForURL(`${server.url}/demo/about`),
        demo.page.click("nav >> text=About"),
      ]);
      const embedded = await open(context, `${websiteUrl}/plain?site=cookieless`);
      const embeddedSession = await storedSessionId(embedded.page);
      await receivedEvents(ofSession(sessionId), 4);
      await receivedEvents(ofSession(embeddedSession), 1);

      expect(await context.cookies()).toEqual([]);
      expect(await demo.page.evaluate(() => document.cookie)).toBe("");
      expect(await embedded.page.evaluate(() => document.cookie)).toBe("");
      // Every response, the pages, /tracker.js and /api/collect included, and every request.
      expect(responses.map((response) => new URL(response.url()).pathname)).toContain(
        "/api/collect",
      );
      const cookieHeaders = await Promise.all(
        responses.map(async (response) => [
          await response.headerValue("set-cookie"),
          await response.request().headerValue("cookie"),
        ]),
      );
      expect(cookieHeaders.flat().filter((header) => header !== null)).toEqual([]);
    });

    test("the signup button sends a custom event named signup with metadata.plan pro", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${server.url}/demo/pricing`);
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.click("#signup");
      const [custom] = await receivedEvents(
        (event) => event.session_id === sessionId && event.type === "custom",
        1,
      );
      expect(custom).toMatchObject({
        type: "custom",
        name: "signup",
        page: "/demo/pricing",
        site: "demo",
        device: "desktop",
        metadata: { plan: "pro" },
      });
      expect(errors).toEqual([]);
    });

    test("a custom event's property with a name longer than the server allows is left out, not the event", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${server.url}/demo/pricing`);
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.evaluate((longKey) => {
        (window as WithFootfall).footfall?.("long_keys", { plan: "pro", [longKey]: "x" });
      }, "k".repeat(65));
      const [custom] = await receivedEvents(
        (event) => event.session_id === sessionId && event.name === "long_keys",
        1,
      );
      // The device is the tracker's own property; the 65-character one is gone.
      expect(custom?.metadata).toEqual({ plan: "pro", device: "desktop" });
      expect(errors).toEqual([]);
    });

    test("a second tab in the same browser shares the session", async () => {
      const context = await newContext();
      const first = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(first.page);
      await receivedEvents(ofSession(sessionId), 1);

      const second = await open(context, `${server.url}/demo/about`);
      expect(await storedSessionId(second.page)).toBe(sessionId);
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events.map((event) => event.page)).toEqual(["/demo", "/demo/about"]);

      // Another browser (no shared storage) is another visitor.
      const stranger = await open(await newContext(), `${server.url}/demo`);
      expect(await storedSessionId(stranger.page)).not.toBe(sessionId);
      expect([...first.errors, ...second.errors, ...stranger.errors]).toEqual([]);
    });

    test("every demo page loads, links to the others and logs no error", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(page);
      for (const [link, path] of [
        ["Pricing", "/demo/pricing"],
        ["About", "/demo/about"],
        ["Home", "/demo"],
      ] as const) {
        await Promise.all([
          page.waitForURL(`${server.url}${path}`),
          page.click(`nav >> text=${link}`),
        ]);
        await page.click("#spa-nav");
        await page.click("#signup");
        expect(await page.textContent("#status")).toContain("signup");
      }
      const pageviews = await receivedEvents(
        (event) => event.session_id === sessionId && event.type === "pageview",
        7,
      );
      expect(pageviews.map((event) => event.page)).toEqual([
        "/demo",
        "/demo/pricing",
        "/demo/about",
        "/demo/about",
        "/demo",
        "/demo",
        "/demo/pricing",
      ]);
      expect(errors).toEqual([]);
    });

    test("a phone is counted as mobile", async () => {
      const context = await newContext({
        viewport: { width: 390, height: 844 },
        screen: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        userAgent:
          "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
      });
      const { page, errors } = await open(context, `${server.url}/demo`);
      const [pageview] = await receivedEvents(ofSession(await storedSessionId(page)), 1);
      expect(pageview?.device).toBe("mobile");
      expect(errors).toEqual([]);
    });

    for (const { device, because, options } of [
      {
        device: "tablet",
        because: "an iPad's user agent",
        options: {
          viewport: { width: 810, height: 1080 },
          screen: { width: 810, height: 1080 },
          isMobile: true,
          hasTouch: true,
          userAgent:
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        },
      },
      {
        device: "mobile",
        because: "a desktop user agent on a narrow screen",
        options: { viewport: { width: 480, height: 800 }, screen: { width: 480, height: 800 } },
      },
      {
        device: "tablet",
        because: "a desktop user agent on a mid-size touch screen",
        options: {
          viewport: { width: 800, height: 1000 },
          screen: { width: 800, height: 1000 },
          hasTouch: true,
        },
      },
    ] satisfies { device: string; because: string; options: BrowserContextOptions }[]) {
      test(`${because} is counted as ${device}`, async () => {
        const { page, errors } = await open(await newContext(options), `${server.url}/demo`);
        const [pageview] = await receivedEvents(ofSession(await storedSessionId(page)), 1);
        expect(pageview?.device).toBe(device);
        expect(errors).toEqual([]);
      });
    }

    test("closing the page after 30 idle minutes sends no session_end, for the expired session or a new one", async () => {
      const context = await newContext();
      await context.clock.install();
      const { page } = await open(context, `${websiteUrl}/plain?site=idle-end`);
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.clock.fastForward(SESSION_IDLE_MS + 60_000);
      await page.close({ runBeforeUnload: true });
      // A page closed afterwards does send its session_end: once it has arrived, a session_end
      // from the first page would have too.
      const control = await open(await newContext(), `${websiteUrl}/plain?site=idle-control`);
      const controlSession = await storedSessionId(control.page);
      await receivedEvents(ofSession(controlSession), 1);
      await control.page.close({ runBeforeUnload: true });
      await receivedEvents(ofSession(controlSession), 2);

      // Nothing at all from the site after its pageview: not for the old session, nor a new one.
      const fromSite = (await recentEvents()).filter((event) => event.site === "idle-end");
      expect(fromSite.map((event) => [event.type, event.session_id])).toEqual([
        ["pageview", sessionId],
      ]);
    });

    test("closing the page sends session_end and the server ends the session", async () => {
      const context = await newContext();
      const { page } = await open(context, `${server.url}/demo`);
      const sessionId = await storedSessionId(page);
      await receivedEvents(ofSession(sessionId), 1);

      await page.close({ runBeforeUnload: true });
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events.map((event) => event.type)).toEqual(["pageview", "session_end"]);
      const session = await server.request(`/api/analytics/sessions/${sessionId}`, {
        auth: true,
      });
      // Ended, and still viewable: with its journey, when and why it ended.
      expect(session.status).toBe(200);
      expect((await session.json()).data.session).toMatchObject({
        journey: ["/demo"],
        end_reason: "ended",
      });
    });
  });

  describe("embedded in another website", () => {
    test("events cross origins to the server the script came from", async () => {
      const context = await newContext();
      const { page, errors, sent } = await open(context, `${websiteUrl}/plain?site=shop`);
      const sessionId = await storedSessionId(page);
      const [pageview] = await receivedEvents(ofSession(sessionId), 1);
      expect(pageview).toMatchObject({ type: "pageview", page: "/plain", site: "shop" });
      expect(sent).toHaveLength(1);
      expect(errors).toEqual([]);
    });

    test("events go by sendBeacon as text/plain, and no CORS preflight is made", async () => {
      const context = await newContext();
      const { page, errors, transports } = await open(
        context,
        `${websiteUrl}/plain?site=beacon&via-gateway`,
      );
      const sessionId = await storedSessionId(page);
      await page.evaluate(() => {
        history.pushState({}, "", "/plain/next");
        (window as WithFootfall).footfall?.("signup", { plan: "pro" });
      });
      const events = await receivedEvents(ofSession(sessionId), 3);
      expect(unordered(events.map((event) => event.type))).toEqual(
        unordered(["pageview", "pageview", "custom"]),
      );

      const posts = () => wire.filter((request) => request.site === "beacon");
      await eventually(() => posts().every((request) => request.status !== undefined), 10_000);
      expect(posts()).toHaveLength(3);
      for (const post of posts()) {
        expect(post).toMatchObject({ method: "POST", path: "/api/collect", status: 202 });
        expect(post.contentType).toMatch(/^text\/plain(;|$)/);
        // A beacon with a CORS-safelisted type goes no-cors: nothing to preflight.
        expect(post.fetchMode).toBe("no-cors");
      }
      expect(transports).toEqual(["ping", "ping", "ping"]);
      const preflights = () => wire.filter((request) => request.method === "OPTIONS");
      expect(preflights()).toEqual([]);
      expect(errors).toEqual([]);

      // The check can fail: a JSON POST from the same page is preflighted, and the gateway sees it.
      await page.evaluate(
        ({ url, session }) =>
          fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ type: "pageview", page: "/json", session_id: session }),
          }).then(() => undefined),
        { url: `${gatewayUrl}/api/events`, session: `${sessionId}-json` },
      );
      expect(preflights()).toMatchObject([{ method: "OPTIONS", path: "/api/events" }]);
    });

    test("when sendBeacon refuses, the event goes by fetch with keepalive and is accepted", async () => {
      const context = await newContext();
      // A browser whose beacon queue is full (or that has none); fetch calls are recorded.
      await context.addInitScript(`
        navigator.sendBeacon = () => false;
        const realFetch = window.fetch;
        window.fetchCalls = [];
        window.fetch = function (input, init) {
          window.fetchCalls.push({
            url: String(input),
            method: init?.method,
            keepalive: init?.keepalive,
            contentType: new Headers(init?.headers).get("content-type"),
          });
          return realFetch.apply(this, arguments);
        };
      `);
      const { page, errors, transports } = await open(
        context,
        `${websiteUrl}/plain?site=fallback&via-gateway`,
      );
      const sessionId = await storedSessionId(page);
      const [pageview] = await receivedEvents(ofSession(sessionId), 1);
      expect(pageview).toMatchObject({ type: "pageview", page: "/plain", site: "fallback" });

      const posts = () => wire.filter((request) => request.site === "fallback");
      await eventually(() => posts()[0]?.status !== undefined, 10_000);
      expect(posts()).toEqual([
        {
          method: "POST",
          path: "/api/collect",
          contentType: "text/plain",
          // A fetch, not a beacon (which would be no-cors); still simple enough for no preflight.
          fetchMode: "cors",
          site: "fallback",
          status: 202,
        },
      ]);
      expect(wire.filter((request) => request.method === "OPTIONS")).toEqual([]);
      expect(transports).toEqual(["fetch"]);
      const calls = await page.evaluate(() => (window as { fetchCalls?: unknown[] }).fetchCalls);
      expect(calls).toEqual([
        {
          url: `${gatewayUrl}/api/collect`,
          method: "POST",
          keepalive: true,
          contentType: "text/plain",
        },
      ]);
      expect(errors).toEqual([]);
    });

    test("data-api sends events where it says, when the script is served from elsewhere", async () => {
      const context = await newContext();
      // The website serves its own copy of the script: its origin has no /api/collect.
      const { page, errors } = await open(context, `${websiteUrl}/self-hosted?site=self`);
      const [pageview] = await receivedEvents(ofSession(await storedSessionId(page)), 1);
      expect(pageview).toMatchObject({ page: "/self-hosted", site: "self" });
      expect(errors).toEqual([]);
    });

    test("calls queued by the stub before the script loaded are replayed after the pageview", async () => {
      const context = await newContext();
      const watched = await open(context, `${websiteUrl}/queued?site=queue`);
      const { page, errors } = watched;
      const events = await receivedEvents(ofSession(await storedSessionId(page)), 3);
      const sent = await sentEvents(watched, 3);
      expect(sent.map((body) => [body.type, body.name ?? null])).toEqual([
        ["pageview", null],
        ["custom", "early"],
        ["custom", "nested"],
      ]);
      const named = (name: string) => events.find((event) => event.name === name);
      expect(events).toHaveLength(3);
      // Properties the schema would refuse (objects, functions) are left out, not the event.
      expect(named("early")?.metadata).toEqual({
        step: 1,
        ok: true,
        label: "first",
        none: null,
        device: "desktop",
      });
      expect(named("nested")?.metadata).toEqual({ device: "desktop" });
      expect(errors).toEqual([]);
    });

    test("a visitor from another site carries the referrer, on the landing pageview only", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${websiteUrl}/link`);
      await Promise.all([page.waitForURL(`${server.url}/demo`), page.click("a")]);
      const sessionId = await storedSessionId(page);
      await page.click("#spa-nav");
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events[0]).toMatchObject({ page: "/demo", referrer: `${websiteUrl}/` });
      expect(events[1]?.page).toBe("/demo/pricing");
      expect(events[1]?.referrer).toBeUndefined();
      expect(errors).toEqual([]);
    });

    test("the landing URL's campaign parameters, and only those, are sent; the server adds browser, OS, visitor id and source", async () => {
      const context = await newContext();
      const watched = await open(
        context,
        `${websiteUrl}/plain?site=campaign&utm_medium=email&utm_campaign=spring&ref=newsletter&email=someone%40example.com`,
      );
      const { page, errors } = watched;
      const sessionId = await storedSessionId(page);
      await page.evaluate(() => history.pushState({}, "", "/plain/next?utm_source=later"));
      const [sent] = await sentEvents(watched, 2);
      expect(sent).toMatchObject({
        utm_source: "newsletter",
        utm_medium: "email",
        utm_campaign: "spring",
      });
      expect(JSON.stringify(watched.sent)).not.toContain("example.com");
      expect(watched.sent[1]).not.toHaveProperty("utm_source");
      const [landing, next] = await receivedEvents(ofSession(sessionId), 2);
      // One visitor: the same id on both pages (read before toMatchObject, which Bun lets touch it).
      expect(next?.visitor_id).toMatch(/^[\w-]{22}$/);
      expect(next?.visitor_id).toBe(landing?.visitor_id as string);
      expect(landing).toMatchObject({
        page: "/plain",
        utm_source: "newsletter",
        utm_medium: "email",
        utm_campaign: "spring",
        browser: "Chrome",
        browser_version: "140",
        os: "Linux",
        source: "Direct / None",
      });
      expect(errors).toEqual([]);
    });

    test("a headless browser that names itself so is taken for a bot: nothing is counted", async () => {
      const context = await newContext({
        userAgent:
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36",
      });
      const watched = await open(context, `${websiteUrl}/plain?site=headless`);
      await sentEvents(watched, 1);
      const control = await open(await newContext(), `${websiteUrl}/plain?site=headless`);
      const controlSession = await storedSessionId(control.page);
      await receivedEvents(ofSession(controlSession), 1);
      const fromSite = (await recentEvents()).filter((event) => event.site === "headless");
      expect(fromSite.map((event) => event.session_id)).toEqual([controlSession]);
    });

    test("with data-hash, a hash change is a pageview of the path and hash", async () => {
      const context = await newContext();
      const { page, errors } = await open(context, `${websiteUrl}/hash?site=hashes#intro`);
      const sessionId = await storedSessionId(page);
      await page.evaluate(() => {
        location.hash = "#pricing";
      });
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events.map((event) => event.page)).toEqual(["/hash#intro", "/hash#pricing"]);
      expect(errors).toEqual([]);
    });

    test("without data-hash, a hash change sends nothing", async () => {
      const context = await newContext();
      const { page, sent } = await open(context, `${websiteUrl}/plain?site=nohash`);
      const sessionId = await storedSessionId(page);
      await page.evaluate(() => {
        location.hash = "#pricing";
      });
      await page.evaluate(() => (window as WithFootfall).footfall?.("marker"));
      const events = await receivedEvents(ofSession(sessionId), 2);
      expect(events.map((event) => [event.type, event.page])).toEqual([
        ["pageview", "/plain"],
        ["custom", "/plain"],
      ]);
      expect(sent).toHaveLength(2);
    });

    for (const { signal, site, init } of [
      {
        signal: "Do Not Track",
        site: "private-dnt",
        init: "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })",
      },
      {
        signal: "Global Privacy Control",
        site: "private-gpc",
        init: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })",
      },
    ]) {
      test(`with data-respect-dnt and ${signal} on, nothing is sent or stored`, async () => {
        const optedOut = await newContext();
        await optedOut.addInitScript(init);
        const { page, errors, sent } = await open(
          optedOut,
          `${websiteUrl}/respect-dnt?site=${site}`,
        );
        await page.evaluate(() => {
          history.pushState({}, "", "/respect-dnt/next");
          (window as WithFootfall).footfall?.("signup", { plan: "pro" });
        });
        expect(await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)).toBeNull();
        await page.close({ runBeforeUnload: true });

        // The same page without the signal does send: the check is not vacuous, and its
        // events arriving means the opted-out page's would have arrived by now.
        const control = await open(await newContext(), `${websiteUrl}/respect-dnt?site=${site}`);
        const controlSession = await storedSessionId(control.page);
        await receivedEvents(ofSession(controlSession), 1);

        expect(sent).toEqual([]);
        const fromSite = (await recentEvents()).filter((event) => event.site === site);
        expect(fromSite.map((event) => event.session_id)).toEqual([controlSession]);
        expect([...errors, ...control.errors]).toEqual([]);
      });
    }

    test("without data-respect-dnt, Do Not Track alone does not stop the tracker", async () => {
      const context = await newContext();
      await context.addInitScript(
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })",
      );
      const { page } = await open(context, `${websiteUrl}/plain?site=ignores-dnt`);
      const [pageview] = await receivedEvents(ofSession(await storedSessionId(page)), 1);
      expect(pageview?.site).toBe("ignores-dnt");
    });
  });
});

/** The embedding website's pages; inline scripts are fine here, as on customers' sites. */
async function websitePage(url: URL, footfallUrl: string): Promise<Response> {
  const site = url.searchParams.get("site") ?? "website";
  const tracker = (attributes = "") =>
    `<script defer src="${footfallUrl}/tracker.js" data-site="${site}"${attributes}></script>`;
  const pages: Record<string, string> = {
    "/plain": tracker(),
    "/hash": tracker(" data-hash"),
    "/respect-dnt": tracker(" data-respect-dnt"),
    "/self-hosted": `<script defer src="/js/analytics.js" data-site="${site}" data-api="${footfallUrl}/api/collect"></script>`,
    "/queued": `<script>
      window.footfall=window.footfall||function(){(window.footfall.q=window.footfall.q||[]).push(arguments)};
      footfall("early", { step: 1, ok: true, label: "first", none: null, nested: { a: 1 }, fn: function () {} });
      footfall("nested", { list: [1, 2] });
    </script>${tracker()}`,
    "/link": "",
  };
  if (url.pathname === "/js/analytics.js") {
    const script = await fetch(`${footfallUrl}/tracker.js`);
    return new Response(await script.text(), { headers: { "content-type": "text/javascript" } });
  }
  const head = pages[url.pathname];
  if (head === undefined) return new Response("not found", { status: 404 });
  const body = url.pathname === "/link" ? `<a href="${footfallUrl}/demo">Footfall demo</a>` : "";
  return new Response(
    `<!doctype html><html><head><meta charset="utf-8"><title>A website</title><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`,
    { headers: { "content-type": "text/html; charset=utf-8" } },
  );
}

/** Forwards a request to the Footfall server, recording it on arrival and its status on answer. */
async function relay(
  request: Request,
  footfallUrl: string,
  wire: WireRequest[],
): Promise<Response> {
  const url = new URL(request.url);
  const body =
    request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
  const record: WireRequest = {
    method: request.method,
    path: url.pathname,
    contentType: request.headers.get("content-type"),
    fetchMode: request.headers.get("sec-fetch-mode"),
  };
  try {
    record.site = JSON.parse(body ?? "null")?.site;
  } catch {}
  wire.push(record);
  const response = await fetch(footfallUrl + url.pathname + url.search, {
    method: request.method,
    headers: request.headers,
    body,
  });
  record.status = response.status;
  // fetch has already decoded the body: the length and encoding no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Response(await response.arrayBuffer(), { status: response.status, headers });
}
