import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { envSchema } from "../../config/env-schema.ts";
import { eventInputSchema } from "../../schemas/event.ts";
import { planSession, seededRandom } from "../../scripts/simulate/plan.ts";
import { DEFAULTS, firstSpikeDelayMs, type SimulationOptions } from "../../scripts/simulate.ts";
import { DashboardClient, startTestServer, type TestServer } from "../support/server.ts";

/** Runs `bun run simulate` against `url`, twenty times faster than life and quiet. */
async function simulate(url: string, args: string[]) {
  const child = Bun.spawn(
    [process.execPath, "scripts/simulate.ts", "--url", url, "--speed", "20", "--quiet", ...args],
    { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
  );
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

describe("the session planner", () => {
  test("the same seed plans the same sessions", () => {
    const plan = (seed: number) => planSession(seededRandom(seed), { id: "s", site: "default" });
    expect(plan(42)).toEqual(plan(42));
    expect(plan(42)).not.toEqual(plan(43));
  });

  test("every planned event passes the server's event schema, with 1 to 8 pageviews and a session_end last", () => {
    const random = seededRandom(7);
    const countries = new Set<unknown>();
    let bounces = 0;
    let fromCampaigns = 0;
    for (let index = 0; index < 300; index++) {
      const plan = planSession(random, { id: `s${index}`, site: "default" });
      for (const { event } of plan) expect(eventInputSchema.safeParse(event).success).toBe(true);
      const pageviews = plan.filter(({ event }) => event.type === "pageview").length;
      expect(pageviews).toBeGreaterThanOrEqual(1);
      expect(pageviews).toBeLessThanOrEqual(8);
      expect(plan.at(-1)?.event.type).toBe("session_end");
      expect(plan.map(({ at }) => at)).toEqual([...plan.map(({ at }) => at)].sort((a, b) => a - b));
      countries.add(plan[0]?.event.country);
      if (pageviews === 1) bounces++;
      if (plan[0]?.event.utm_campaign !== undefined) fromCampaigns++;
      for (const { event } of plan.slice(1)) expect(event).not.toHaveProperty("utm_campaign");
    }
    expect(countries.size).toBeGreaterThan(8);
    // A third bounce and a fifth land from a campaign, give or take the dice.
    expect(bounces / 300).toBeGreaterThan(0.25);
    expect(bounces / 300).toBeLessThan(0.45);
    expect(fromCampaigns / 300).toBeGreaterThan(0.1);
    expect(fromCampaigns / 300).toBeLessThan(0.3);
  });
});

describe("the simulator's defaults on a server with its defaults", () => {
  const defaults: SimulationOptions = {
    url: "http://localhost:3000",
    rate: DEFAULTS.rate,
    durationSeconds: DEFAULTS.durationSeconds,
    sites: ["default"],
    spikeEverySeconds: DEFAULTS.spikeEverySeconds,
    spikeSize: DEFAULTS.spikeSize,
    speed: 1,
    seed: 1,
    quiet: true,
  };
  const { ALERT_THRESHOLD: threshold } = envSchema.parse({});

  test("the first spike comes inside the default run, then one every spike interval", () => {
    expect(firstSpikeDelayMs(defaults)).toBe(30_000);
    expect(firstSpikeDelayMs(defaults)).toBeLessThan(defaults.durationSeconds * 1000);
    expect(firstSpikeDelayMs({ ...defaults, durationSeconds: 0 })).toBe(60_000);
    expect(firstSpikeDelayMs({ ...defaults, durationSeconds: 3, speed: 20 })).toBe(1_500);
    expect(firstSpikeDelayMs({ ...defaults, spikeEverySeconds: 20, speed: 20 })).toBe(500);
    expect(firstSpikeDelayMs({ ...defaults, spikeEverySeconds: 0 })).toBe(Number.POSITIVE_INFINITY);
  });

  test("normal traffic alone keeps visitors in the last minute under the default alert threshold nearly always, and the default spike reaches it", () => {
    // Sessions as the simulator starts them (one at once, then one every 1/rate s), over 3 hours;
    // a visitor counts while an event other than session_end is under a minute old.
    const random = seededRandom(11);
    const hours = 3;
    const lastTouches: { start: number; touches: number[] }[] = [];
    for (let start = 0; start < hours * 3600; start += 1 / defaults.rate) {
      const plan = planSession(random, { id: `s${start}`, site: "default" });
      const touches = plan
        .filter(({ event }) => event.type !== "session_end")
        .map(({ at }) => start + at / 1000);
      lastTouches.push({ start, touches });
    }
    const visitorsAt = (t: number) =>
      lastTouches.filter(({ touches }) => touches.some((touch) => touch <= t && touch > t - 60))
        .length;
    let seconds = 0;
    let atOrAbove = 0;
    for (let t = 120; t < hours * 3600; t++, seconds++) if (visitorsAt(t) >= threshold) atOrAbove++;
    expect(atOrAbove / seconds).toBeLessThan(0.01);
    // The spike's sessions all count at once, on top of whatever normal traffic there is.
    expect(DEFAULTS.spikeSize).toBeGreaterThanOrEqual(threshold);
  });
});

describe("bun run simulate against a server that rate-limits it", () => {
  // A stand-in for Footfall's answer to a client over its limit: the real limiter's window is a
  // minute, so its Retry-After can be up to 60 s; this one says 1 s.
  test("a 429 is waited out for its Retry-After and the batch retried, keeping each session's events in order, with a hint", async () => {
    const received: Record<string, unknown>[] = [];
    let requests = 0;
    const stub = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        requests++;
        const body = (await request.json()) as Record<string, unknown>[];
        if (requests === 2)
          return Response.json(
            {
              success: false,
              error: "Too many requests. Please try again later.",
              code: "rate_limited",
              message: "Too many requests",
            },
            { status: 429, headers: { "retry-after": "1" } },
          );
        received.push(...body);
        return Response.json({ success: true }, { status: 201 });
      },
    });
    try {
      const { code, stdout, stderr } = await simulate(stub.url.href, [
        "--duration",
        "2",
        "--rate",
        "3",
        "--spike-every",
        "0",
        "--seed",
        "5",
      ]);
      expect(code).toBe(0);
      const done = stdout.match(/done: (\d+) events sent over (\d+) sessions, 0 spikes, 0 failed/);
      expect(done).not.toBeNull();
      expect(stderr).toContain("RATE_LIMIT_PER_MINUTE=0");
      expect(received.length).toBe(Number(done?.[1]));
      expect(requests).toBeGreaterThan(2);

      // Replaying the seed gives each session's plan: every one arrived whole, once, in order.
      const sessions = Number(done?.[2]);
      const random = seededRandom(5);
      const bySession = Map.groupBy(received, (event) => String(event.session_id));
      expect(bySession.size).toBe(sessions);
      for (let index = 0; index < sessions; index++) {
        random(); // the simulator's pick among --sites
        const id = `sim-5-${index}`;
        const plan = planSession(random, { id, site: "default", pauseMs: 4000 / 20 });
        expect(bySession.get(id)).toEqual(plan.map(({ event }) => event));
      }
    } finally {
      stub.stop(true);
    }
  }, 30_000);
});

describe("bun run simulate against a real server", () => {
  let server: TestServer;
  beforeAll(() => {
    // One session a second never reaches 8 visitors in 3 s: only the spike can. The rate limit is
    // the server's default (100 requests a minute from one client), which one POST per event
    // (about 230 here) would run into: the simulator has to batch.
    server = startTestServer({ ALERT_THRESHOLD: "8", RATE_LIMIT_PER_MINUTE: "100" });
  });
  afterAll(() => server.stop());

  test("it sends realistic traffic within the default rate limit, with a spike that raises an alert on a live dashboard, and exits 0", async () => {
    const dashboard = await DashboardClient.connect(server.wsUrl);
    const { code, stdout, stderr } = await simulate(server.url, [
      "--duration",
      "3",
      "--rate",
      "1",
      "--spike-every",
      "20",
      "--spike-size",
      "10",
      "--seed",
      "42",
    ]);
    expect(code).toBe(0);
    const done = stdout.match(
      /done: (\d+) events sent over \d+ sessions, [1-9]\d* spikes, 0 failed/,
    );
    expect(done).not.toBeNull();
    expect(stderr).not.toContain("429");

    const alert = await dashboard.next("alert", (frame) => frame.data.kind === "spike");
    expect(alert.data.level).toBe("warning");
    const summary = await (await server.request("/api/analytics/summary", { auth: true })).json();
    expect(summary.data.summary.total_today).toBeGreaterThan(30);
    // Every event the simulator counts as sent arrived, more than 100 requests' worth.
    const sent = Number(done?.[1]);
    expect(sent).toBeGreaterThan(100);
    const status = await (await server.request("/api/status", { auth: true })).json();
    expect(status.data.events_received).toBe(sent);
    const detailed = await (await server.request("/api/analytics/detailed", { auth: true })).json();
    expect(Object.keys(detailed.data.device_breakdown).length).toBeGreaterThanOrEqual(2);
    // Ended sessions come one a frame, or in a visitor_batch's `ended` when over the frame budget.
    // Those queued for a batch leave on the next 50 ms tick: give them a moment.
    const endedSoFar = () => [
      ...dashboard.ofType("session_ended").map((frame) => frame.data),
      ...dashboard
        .ofType("visitor_batch")
        .flatMap((frame) => (frame.data.ended as Record<string, unknown>[] | undefined) ?? []),
    ];
    for (let waited = 0; endedSoFar().length <= 8 && waited < 3000; waited += 50)
      await Bun.sleep(50);
    const ended = endedSoFar();
    expect(ended.length).toBeGreaterThan(8);
    expect(ended.some((session) => (session.journey as string[]).length >= 3)).toBe(true);
    const countries = await (
      await server.request("/api/analytics/top?dimension=country&limit=50", { auth: true })
    ).json();
    expect(countries.data.items.length).toBeGreaterThan(4);
    dashboard.close();
  }, 30_000);
});
