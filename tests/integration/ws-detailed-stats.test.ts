import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../services/clock.ts";
import {
  type DashboardClient,
  eventually,
  type Frame,
  pageview,
  type TestServer,
} from "../support/server.ts";
import { useTestServers } from "../support/test-servers.ts";

const running = useTestServers();

/** A server on a clock the test moves, so the cache window and the minute are exact. */
function start(env: Record<string, string> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const server = running.start(env, { clock });
  return { server, clock, hub: server.services.hub };
}

async function dashboard(server: TestServer): Promise<DashboardClient> {
  const client = await running.dashboard(server.wsUrl);
  await client.next("user_connected");
  return client;
}

/** Asks for detailed stats and waits for this request's answer (answers come in order). */
async function ask(client: DashboardClient, filter?: Record<string, string>): Promise<Frame> {
  const before = client.ofType("detailed_stats_response").length;
  client.send({ type: "request_detailed_stats", data: filter ? { filter } : {} });
  await eventually(() => client.ofType("detailed_stats_response").length > before);
  return client.ofType("detailed_stats_response")[before] as Frame;
}

const recentIds = (answer: Frame) =>
  (answer.data.recent_events as { session_id: string }[]).map((event) => event.session_id);

describe("request_detailed_stats", () => {
  describe("cache", () => {
    test("two requests within a second are answered from one build; one after it sees what came in between", async () => {
      const { server, clock, hub } = start();
      const client = await dashboard(server);
      await server.postEvent(pageview("first", "/a", { country: "France" }));
      await client.next("session_activity");

      const built = hub.stats().detailed_stats_built;
      const firstAnswer = await ask(client, { country: "France" });
      expect(recentIds(firstAnswer)).toEqual(["first"]);

      await server.postEvent(pageview("second", "/b", { country: "France" }));
      await client.next("session_activity", (frame) => frame.data.session_id === "second");
      clock.advance(999);
      const cached = await ask(client, { country: "France" });
      expect(recentIds(cached)).toEqual(["first"]);
      expect(cached.data).toEqual(firstAnswer.data);
      expect(hub.stats().detailed_stats_built).toBe(built + 1);

      clock.advance(1);
      const fresh = await ask(client, { country: "France" });
      expect(recentIds(fresh)).toEqual(["second", "first"]);
      expect(fresh.data.summary).toMatchObject({ total_active: 2, total_today: 2 });
      expect(hub.stats().detailed_stats_built).toBe(built + 2);
    });

    test("dashboards asking for the same filter share one build; another filter is built on its own", async () => {
      const { server, hub } = start();
      const [first, second, third] = await Promise.all([
        dashboard(server),
        dashboard(server),
        dashboard(server),
      ]);
      await server.postEvent([
        pageview("fr", "/a", { country: "France", site: "shop" }),
        pageview("de", "/a", { country: "Germany", site: "shop" }),
      ]);
      await (first as DashboardClient).next("session_activity", (f) => f.data.session_id === "de");
      const built = hub.stats().detailed_stats_built;

      const one = await ask(first as DashboardClient, { country: "France", site: "shop" });
      // The same filter, its keys in another order.
      const two = await ask(second as DashboardClient, { site: "shop", country: "France" });
      expect(two.data).toEqual(one.data);
      expect(one.data.filters_applied).toEqual({ country: "France", site: "shop" });
      expect(hub.stats().detailed_stats_built).toBe(built + 1);

      const other = await ask(third as DashboardClient, { country: "Germany" });
      expect(other.data.filters_applied).toEqual({ country: "Germany" });
      expect(other.data.summary).toMatchObject({ total_active: 1 });
      expect(hub.stats().detailed_stats_built).toBe(built + 2);
    });
  });

  describe("rate limit", () => {
    test("the 61st request within a minute gets rate_limited; the connection stays open and the next minute is answered", async () => {
      const { server, clock } = start();
      const client = await dashboard(server);
      for (let i = 0; i < 61; i++) client.send({ type: "request_detailed_stats" });
      client.send({ type: "ping" });
      await client.next("pong");
      expect(client.ofType("detailed_stats_response")).toHaveLength(60);
      const errors = client.ofType("error");
      expect(errors).toHaveLength(1);
      expect(errors[0]?.data.code).toBe("rate_limited");
      expect(String(errors[0]?.data.message)).toContain("request_detailed_stats");
      expect(client.socket.readyState).toBe(WebSocket.OPEN);

      clock.advance(60_000);
      await ask(client);
      expect(client.ofType("detailed_stats_response")).toHaveLength(61);
    });

    test("WS_DETAILED_STATS_PER_MINUTE counts each dashboard on its own, apart from other messages", async () => {
      const { server } = start({ WS_DETAILED_STATS_PER_MINUTE: "2", WS_MESSAGES_PER_MINUTE: "50" });
      const busy = await dashboard(server);
      const calm = await dashboard(server);
      for (let i = 0; i < 3; i++) busy.send({ type: "request_detailed_stats" });
      await busy.next("error");
      expect(busy.ofType("detailed_stats_response")).toHaveLength(2);
      expect(busy.ofType("error").map((frame) => frame.data.code)).toEqual(["rate_limited"]);

      // Other messages are not held back by the detailed-stats allowance.
      for (let i = 0; i < 5; i++) busy.send({ type: "ping" });
      await eventually(() => busy.ofType("pong").length === 5);
      await ask(calm);
      await ask(calm);
      expect(calm.ofType("error")).toHaveLength(0);
    });
  });
});
