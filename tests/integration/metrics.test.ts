import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  DashboardClient,
  pageview,
  startTestServer,
  TEST_TOKEN,
  type TestServer,
} from "../support/server.ts";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";

/** The value of one sample line of the Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels = ""): number {
  const prefix = labels === "" ? `${name} ` : `${name}{${labels}} `;
  const line = text.split("\n").find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

describe("GET /metrics", () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ TRUST_PROXY: "true" });
  });
  afterAll(() => server.stop());

  const scrape = async () => {
    const response = await server.request("/metrics", { auth: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    return response.text();
  };

  test("needs the token: it reveals how the site is used", async () => {
    const response = await server.request("/metrics");
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe("unauthorized");
    const byQuery = await server.request(`/metrics?token=${TEST_TOKEN}`);
    expect(byQuery.status).toBe(200);
  });

  test("counts events accepted and refused by route and reason, and times the commits", async () => {
    const before = await scrape();
    expect((await server.postEvent([pageview("m-1"), pageview("m-2")])).status).toBe(201);
    expect((await server.postEvent({ type: "nonsense" })).status).toBe(400);
    const tracked = await server.request("/api/collect", {
      method: "POST",
      headers: { "content-type": "text/plain", "user-agent": CHROME },
      body: JSON.stringify(pageview("m-3")),
    });
    expect(tracked.status).toBe(202);
    const bot = await server.request("/api/collect", {
      method: "POST",
      headers: { "content-type": "text/plain", "user-agent": "curl/8.5.0" },
      body: JSON.stringify(pageview("m-4")),
    });
    expect(bot.status).toBe(202);

    const after = await scrape();
    const delta = (name: string, labels = "") =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta("footfall_events_accepted_total", 'route="/api/events"')).toBe(2);
    expect(delta("footfall_events_accepted_total", 'route="/api/collect"')).toBe(1);
    expect(
      delta("footfall_events_refused_total", 'route="/api/events",reason="validation_error"'),
    ).toBe(1);
    expect(delta("footfall_events_refused_total", 'route="/api/collect",reason="bot"')).toBe(1);
    expect(delta("footfall_bots_filtered_total")).toBe(1);
    expect(delta("footfall_commit_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(sample(after, "footfall_storage_degraded")).toBe(0);
    expect(sample(after, "footfall_active_sessions")).toBeGreaterThanOrEqual(3);
    expect(sample(after, "footfall_live_state_bytes")).toBeGreaterThan(0);
    expect(after).toContain("process_resident_memory_bytes");
  });

  test("counts dashboards connected and the coalesced frames sent to them", async () => {
    const dashboard = await DashboardClient.connect(`${server.wsUrl}&batch=1`);
    try {
      const before = await scrape();
      expect(sample(before, "footfall_dashboards_connected")).toBe(1);
      // Past the dashboard's frame budget (WS_MAX_FRAMES_PER_SECOND, 20) events are coalesced.
      const burst = Array.from({ length: 60 }, (_, index) => pageview(`m-burst-${index}`));
      expect((await server.postEvent(burst)).status).toBe(201);
      await dashboard.next("visitor_batch");
      const after = await scrape();
      expect(
        sample(after, "footfall_frames_coalesced_total") -
          sample(before, "footfall_frames_coalesced_total"),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(after, "footfall_events_coalesced_total") -
          sample(before, "footfall_events_coalesced_total"),
      ).toBeGreaterThanOrEqual(3);
    } finally {
      dashboard.close();
    }
  });
});

describe("METRICS_TOKEN", () => {
  const METRICS_TOKEN = "scraper-token-0123456789";
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ METRICS_TOKEN });
  });
  afterAll(() => server.stop());

  test("opens /metrics and nothing else; the API token still opens /metrics", async () => {
    const scraper = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };
    expect((await server.request("/metrics", scraper)).status).toBe(200);
    expect((await server.request("/api/analytics/summary", scraper)).status).toBe(401);
    expect((await server.request("/api/status", scraper)).status).toBe(401);
    expect((await server.request("/metrics", { auth: true })).status).toBe(200);
    const wrong = { headers: { authorization: "Bearer not-the-scraper-token" } };
    expect((await server.request("/metrics", wrong)).status).toBe(401);
  });
});
