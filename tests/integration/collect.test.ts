import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../config/index.ts";
import { cityDatabase } from "../support/city-database.ts";
import {
  DashboardClient,
  eventually,
  pageview,
  startTestServer,
  type TestServer,
  temporaryDataDir,
} from "../support/server.ts";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const GB_IP = "81.2.69.142";
const US_IP = "8.8.8.8";

function collect(
  server: TestServer,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = "text/plain;charset=UTF-8",
) {
  return server.request("/api/collect", {
    method: "POST",
    headers: { "content-type": contentType, "user-agent": CHROME, ...headers },
    body: JSON.stringify(body),
  });
}

interface RecentEvent extends Record<string, unknown> {
  session_id: string;
}

async function recentEvents(server: TestServer): Promise<RecentEvent[]> {
  const response = await server.request("/api/analytics/detailed", { auth: true });
  const body = (await response.json()) as { data: { recent_events: RecentEvent[] } };
  return body.data.recent_events;
}

async function eventOf(server: TestServer, sessionId: string): Promise<RecentEvent | undefined> {
  return (await recentEvents(server)).find((event) => event.session_id === sessionId);
}

async function status(server: TestServer) {
  const response = await server.request("/api/status", { auth: true });
  return ((await response.json()) as { data: { bots_filtered: number; events_received: number } })
    .data;
}

describe("POST /api/collect behind a trusted proxy", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ TRUST_PROXY: "true", COUNTRY_HEADER: "CF-IPCountry" });
  });
  afterAll(() => server.stop());

  describe("happy path", () => {
    test("answers 202 with only {success: true}, for text/plain and JSON alike", async () => {
      const text = await collect(server, pageview("c-text", "/a"));
      expect(text.status).toBe(202);
      expect(await text.text()).toBe('{"success":true}');
      const json = await collect(server, pageview("c-json", "/a"), {}, "application/json");
      expect(json.status).toBe(202);
      expect(await json.json()).toEqual({ success: true });
    });

    test("a batch is accepted whole, each event enriched", async () => {
      const response = await collect(server, [pageview("c-batch-1"), pageview("c-batch-2")], {
        "x-forwarded-for": US_IP,
      });
      expect(response.status).toBe(202);
      expect((await eventOf(server, "c-batch-1"))?.country).toBe("US");
      expect((await eventOf(server, "c-batch-2"))?.country).toBe("US");
    });

    test("the event gains country, browser, OS, device, visitor id and source; the detailed view shows them", async () => {
      await collect(
        server,
        pageview("c-rich", "https://shop.example/landing", {
          site: "shop.example",
          utm_source: "newsletter",
          utm_medium: "email",
          utm_campaign: "spring",
          metadata: { referrer: "https://www.google.co.uk/search?q=shoes" },
        }),
        { "x-forwarded-for": GB_IP },
      );
      expect(await eventOf(server, "c-rich")).toMatchObject({
        page: "/landing",
        country: "GB",
        device: "desktop",
        browser: "Chrome",
        browser_version: "124",
        os: "Windows",
        os_version: "10",
        source: "Google",
        utm_source: "newsletter",
        utm_medium: "email",
        utm_campaign: "spring",
        visitor_id: expect.stringMatching(/^[\w-]{22}$/),
      });
    });

    test("what the event carries wins: its own country and device are kept", async () => {
      await collect(
        server,
        pageview("c-own", "/", { country: "FR", metadata: { device: "tablet" } }),
        { "x-forwarded-for": GB_IP, "user-agent": IPHONE },
      );
      expect(await eventOf(server, "c-own")).toMatchObject({
        country: "FR",
        device: "tablet",
        os: "iOS",
        browser: "Safari",
      });
    });

    test("the trusted proxy's country header wins over the IP's", async () => {
      await collect(server, pageview("c-header"), {
        "x-forwarded-for": GB_IP,
        "cf-ipcountry": "de",
      });
      expect((await eventOf(server, "c-header"))?.country).toBe("DE");
    });

    test("one visitor keeps one id across sessions in a day; another IP is another visitor", async () => {
      await collect(server, pageview("c-v1"), { "x-forwarded-for": GB_IP });
      await collect(server, pageview("c-v2"), { "x-forwarded-for": GB_IP });
      await collect(server, pageview("c-v3"), { "x-forwarded-for": US_IP });
      const first = (await eventOf(server, "c-v1"))?.visitor_id;
      expect((await eventOf(server, "c-v2"))?.visitor_id).toBe(first);
      expect((await eventOf(server, "c-v3"))?.visitor_id).not.toBe(first);
    });
  });

  describe("bots", () => {
    test("a bot's, a headless browser's, an HTTP library's or an empty User-Agent is answered 202 but not counted, stored or pushed", async () => {
      const dashboard = await DashboardClient.connect(server.wsUrl);
      const before = await status(server);
      for (const userAgent of [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "",
      ]) {
        const response = await collect(server, pageview("c-bot"), { "user-agent": userAgent });
        expect(response.status).toBe(202);
        expect(await response.json()).toEqual({ success: true });
      }
      await collect(server, [pageview("c-bot"), pageview("c-bot")], { "user-agent": "curl/8" });
      const after = await status(server);
      expect(after.bots_filtered - before.bots_filtered).toBe(6);
      expect(after.events_received).toBe(before.events_received);
      expect(await eventOf(server, "c-bot")).toBeUndefined();
      expect(JSON.stringify(dashboard.frames)).not.toContain("c-bot");
      dashboard.close();
    });

    test("/api/events is not filtered: an API client's User-Agent is its own server's", async () => {
      const response = await server.request("/api/events", {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "curl/8.5.0" },
        body: JSON.stringify(pageview("c-api")),
      });
      expect(response.status).toBe(201);
      const event = await eventOf(server, "c-api");
      expect(event?.country).toBe("unknown");
      expect(event).not.toHaveProperty("browser");
      expect(event).not.toHaveProperty("visitor_id");
    });
  });

  describe("errors", () => {
    test("an invalid event is refused with the same error as /api/events", async () => {
      const response = await collect(server, { type: "pageview" });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ success: false, code: "validation_error" });
    });
  });

  describe("security", () => {
    test("the IP is never in the stored event nor in the frame pushed to dashboards", async () => {
      const dashboard = await DashboardClient.connect(server.wsUrl);
      await collect(server, pageview("c-private"), { "x-forwarded-for": "81.2.69.160" });
      await eventually(() => JSON.stringify(dashboard.frames).includes("c-private"));
      expect(JSON.stringify(dashboard.frames)).not.toContain("81.2.69.160");
      // The enriched fields are part of the protocol's event frame.
      expect(JSON.stringify(dashboard.frames)).toContain('"visitor_id"');
      expect(dashboard.protocolErrors).toEqual([]);
      const stored = await eventOf(server, "c-private");
      expect(stored?.country).toBe("GB");
      expect(JSON.stringify(stored)).not.toContain("81.2.69.160");
      const exported = await server.request("/api/events/export", { auth: true });
      expect(exported.status).toBe(200);
      expect(await exported.text()).not.toContain("81.2.69.160");
      dashboard.close();
    });
  });
});

describe("POST /api/collect with no trusted proxy", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ COUNTRY_HEADER: "CF-IPCountry" });
  });
  afterAll(() => server.stop());

  test("X-Forwarded-For and the country header are ignored: the peer's address (loopback) has no country", async () => {
    await collect(server, pageview("n-1"), { "x-forwarded-for": GB_IP, "cf-ipcountry": "DE" });
    const event = await eventOf(server, "n-1");
    expect(event?.country).toBe("unknown");
    expect(event?.browser).toBe("Chrome");
  });
});

describe("enriched events are stored durably", () => {
  test("a restarted server replays them with every enriched field", async () => {
    const dataDir = temporaryDataDir();
    try {
      const first = startTestServer({ DATA_DIR: dataDir, TRUST_PROXY: "true" });
      await collect(
        first,
        pageview("d-1", "/", {
          utm_term: "boots",
          metadata: { referrer: "https://news.ycombinator.com/" },
        }),
        { "x-forwarded-for": GB_IP },
      );
      const before = await eventOf(first, "d-1");
      await first.stop();
      const second = startTestServer({ DATA_DIR: dataDir });
      try {
        const after = await eventOf(second, "d-1");
        expect(after).toEqual(before);
        expect(after).toMatchObject({ country: "GB", source: "Hacker News", utm_term: "boots" });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("GEOIP_DATABASE", () => {
  test("a MaxMind-format file of the user's own is read instead of the shipped one", async () => {
    const { SHIPPED_DATABASE } = await import("../../services/enrich/country.ts");
    const server = startTestServer({ GEOIP_DATABASE: SHIPPED_DATABASE, TRUST_PROXY: "true" });
    try {
      await collect(server, pageview("g-1"), { "x-forwarded-for": US_IP });
      expect((await eventOf(server, "g-1"))?.country).toBe("US");
    } finally {
      await server.stop();
    }
  });

  test("a City database adds region and city to the event, and its country", async () => {
    const dataDir = temporaryDataDir();
    const file = join(dataDir, "GeoLite2-City.mmdb");
    writeFileSync(
      file,
      cityDatabase("81.2.69.0/24", {
        country: { iso_code: "GB" },
        subdivisions: [{ iso_code: "ENG", names: { en: "England" } }],
        city: { names: { en: "London" } },
      }),
    );
    const server = startTestServer({
      GEOIP_DATABASE: file,
      TRUST_PROXY: "true",
      DATA_DIR: dataDir,
    });
    try {
      await collect(server, pageview("g-city"), { "x-forwarded-for": GB_IP });
      const event = await eventOf(server, "g-city");
      expect(event).toMatchObject({ country: "GB", region: "England", city: "London" });
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a file that does not exist is a configuration error, named", () => {
    expect(() => loadConfig({ GEOIP_DATABASE: "/nonexistent/GeoLite2-City.mmdb" })).toThrow(
      'GEOIP_DATABASE="/nonexistent/GeoLite2-City.mmdb": no such file',
    );
  });
});
