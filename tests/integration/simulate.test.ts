import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { eventInputSchema } from "../../schemas/event.ts";
import { planSession, seededRandom } from "../../scripts/simulate/plan.ts";
import { DashboardClient, startTestServer, type TestServer } from "../support/server.ts";

describe("the session planner", () => {
  test("the same seed plans the same sessions", () => {
    const plan = (seed: number) => planSession(seededRandom(seed), { id: "s", site: "default" });
    expect(plan(42)).toEqual(plan(42));
    expect(plan(42)).not.toEqual(plan(43));
  });

  test("every planned event passes the server's event schema, with 2 to 8 pageviews and a session_end last", () => {
    const random = seededRandom(7);
    const countries = new Set<unknown>();
    for (let index = 0; index < 300; index++) {
      const plan = planSession(random, { id: `s${index}`, site: "default" });
      for (const { event } of plan) expect(eventInputSchema.safeParse(event).success).toBe(true);
      const pageviews = plan.filter(({ event }) => event.type === "pageview").length;
      expect(pageviews).toBeGreaterThanOrEqual(2);
      expect(pageviews).toBeLessThanOrEqual(8);
      expect(plan.at(-1)?.event.type).toBe("session_end");
      expect(plan.map(({ at }) => at)).toEqual([...plan.map(({ at }) => at)].sort((a, b) => a - b));
      countries.add(plan[0]?.event.country);
    }
    expect(countries.size).toBeGreaterThan(8);
  });
});

describe("bun run simulate against a real server", () => {
  let server: TestServer;
  beforeAll(() => {
    // One session a second never reaches 8 visitors in 3 s: only the spike can.
    server = startTestServer({ ALERT_THRESHOLD: "8" });
  });
  afterAll(() => server.stop());

  test("it sends realistic traffic, with a spike that raises an alert on a live dashboard, and exits 0", async () => {
    const dashboard = await DashboardClient.connect(server.wsUrl);
    const child = Bun.spawn(
      [
        process.execPath,
        "scripts/simulate.ts",
        "--url",
        server.url,
        "--duration",
        "3",
        "--rate",
        "1",
        "--spike-every",
        "20",
        "--spike-size",
        "10",
        "--speed",
        "20",
        "--seed",
        "42",
        "--quiet",
      ],
      { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
    );
    expect(await child.exited).toBe(0);
    const output = await new Response(child.stdout).text();
    expect(output).toMatch(/done: \d+ events sent over \d+ sessions, [1-9]\d* spikes, 0 failed/);

    const alert = await dashboard.next("alert", (frame) => frame.data.kind === "spike");
    expect(alert.data.level).toBe("warning");
    const summary = await (await server.request("/api/analytics/summary", { auth: true })).json();
    expect(summary.data.summary.total_today).toBeGreaterThan(30);
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
