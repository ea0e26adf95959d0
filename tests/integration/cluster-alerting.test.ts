import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { verifySignature } from "../../services/alerting/signer.ts";
import { type Received, startReceiver } from "../support/alerting.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";
import { DashboardClient, eventually, pageview, TEST_TOKEN } from "../support/server.ts";

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const SITE = "quiet.test";

interface Delivery {
  alert_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
}

describe.skipIf(!hasRedis || !hasPostgres)(
  "alerting in a cluster: three instances, one Redis, one Postgres, real receivers",
  () => {
    let redis: RedisProcess;
    let postgres: PostgresProcess;
    const instances: ServerProcess[] = [];
    const dashboards: DashboardClient[] = [];
    // One that takes everything; one that fails first and is retried.
    let steady: ReturnType<typeof startReceiver>;
    let flaky: ReturnType<typeof startReceiver>;

    const api = async <T = Record<string, unknown>>(
      instance: ServerProcess,
      path: string,
      body?: unknown,
    ) => {
      const response = await fetch(instance.url + path, {
        method: body === undefined ? "GET" : "POST",
        headers: { ...AUTH, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
      return (await response.json()) as T;
    };
    const at = (n: number) => instances[n] as ServerProcess;

    beforeAll(async () => {
      [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
      steady = startReceiver();
      flaky = startReceiver([500]);
      const env = {
        REDIS_URL: redis.url,
        DATABASE_URL: postgres.url,
        API_TOKEN: TEST_TOKEN,
        LOG_LEVEL: "warn",
        RATE_LIMIT_PER_MINUTE: "0",
        ALLOW_PRIVATE_WEBHOOKS: "true",
        ALERT_DELIVERY_RETRY_BASE_SECONDS: "0.5",
        SHUTDOWN_TIMEOUT_SECONDS: "0.5",
      };
      instances.push(
        ...(await Promise.all([spawnServer(env), spawnServer(env), spawnServer(env)])),
      );
      for (const instance of instances) {
        expect((await fetch(`${instance.url}/health`)).status).toBe(200);
      }
    });

    afterAll(async () => {
      for (const client of dashboards) client.close();
      await Promise.all(instances.map((instance) => instance.dispose()));
      await Promise.all([redis?.dispose(), postgres?.dispose()]);
      steady?.stop();
      flaky?.stop();
    });

    test("a drop is raised on every dashboard, kept once, and delivered once per destination by one instance", async () => {
      // A rule made on the first instance, destinations on the second and third...
      const { rule } = await api<{ rule: { id: number } }>(at(0), "/api/alerts/rules", {
        kind: "drop",
        site: SITE,
        floor: 1,
        window_minutes: 1,
      });
      const made = [
        await api<{ destination: { id: number }; secret: string }>(
          at(1),
          "/api/alerts/destinations",
          { name: "steady", type: "webhook", url: steady.url, site: SITE },
        ),
        await api<{ destination: { id: number }; secret: string }>(
          at(2),
          "/api/alerts/destinations",
          { name: "flaky", type: "webhook", url: flaky.url, site: SITE },
        ),
      ];
      // ...are listed by every instance.
      for (const instance of instances) {
        const { rules } = await api<{ rules: { id: number }[] }>(instance, "/api/alerts/rules");
        expect(rules.map((r) => r.id)).toEqual([rule.id]);
        const { destinations } = await api<{ destinations: { id: number; name: string }[] }>(
          instance,
          "/api/alerts/destinations",
        );
        expect(destinations.map((d) => d.name)).toEqual(["steady", "flaky"]);
      }
      const screens = await Promise.all(
        instances.map((instance) =>
          DashboardClient.connect(`${instance.url.replace(/^http/, "ws")}/ws?token=${TEST_TOKEN}`),
        ),
      );
      dashboards.push(...screens);
      // Every instance reads the rules again within 2 s: all evaluate it before the traffic.
      await Bun.sleep(2_500);

      // Some traffic through each instance, then none: a minute later the site is under its floor.
      for (const [n, instance] of instances.entries()) {
        const sent = await fetch(`${instance.url}/api/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(pageview(`visitor-${n}`, "/", { site: SITE })),
        });
        expect(sent.status).toBe(201);
      }
      const frames = await Promise.all(
        screens.map((screen) =>
          screen.next("alert", (frame) => frame.data.kind === "drop", 90_000),
        ),
      );
      const alertId = frames[0]?.data.id as string;
      expect(alertId).toStartWith(`rule-${rule.id}:drop:`);
      for (const frame of frames) {
        expect(frame.data).toMatchObject({ id: alertId, rule_id: rule.id, site: SITE });
      }

      // Exactly one signed delivery each; the flaky receiver's 500 was retried by some instance.
      await eventually(() => steady.received.length >= 1 && flaky.received.length >= 2, 15_000);
      await Bun.sleep(2_500);
      expect(steady.received).toHaveLength(1);
      expect(flaky.received).toHaveLength(2);
      const check = (received: Received, secret: string) => {
        const timestamp = received.headers.get("x-footfall-timestamp");
        const signature = received.headers.get("x-footfall-signature");
        expect(
          verifySignature(secret, timestamp, received.body, signature, Number(timestamp)),
        ).toBe(true);
        expect(JSON.parse(received.body).alert.id).toBe(alertId);
      };
      for (const received of steady.received) check(received, made[0]?.secret as string);
      for (const received of flaky.received) check(received, made[1]?.secret as string);

      // The same history and the same delivery log whichever instance is asked.
      for (const instance of instances) {
        const history = await api<{ alerts: { id: string }[]; total: number }>(
          instance,
          `/api/alerts?site=${SITE}`,
        );
        expect(history.total).toBe(1);
        expect(history.alerts[0]?.id).toBe(alertId);
        const [steadyLog, flakyLog] = await Promise.all(
          made.map(({ destination }) =>
            api<{ deliveries: Delivery[] }>(
              instance,
              `/api/alerts/destinations/${destination.id}/deliveries`,
            ),
          ),
        );
        expect(steadyLog?.deliveries).toEqual([
          expect.objectContaining({
            alert_id: alertId,
            status: "delivered",
            attempts: 1,
            last_status: 200,
          }),
        ]);
        expect(flakyLog?.deliveries).toEqual([
          expect.objectContaining({
            alert_id: alertId,
            status: "delivered",
            attempts: 2,
            last_status: 200,
          }),
        ]);
      }
      // Each dashboard was told once.
      for (const screen of screens) {
        const drops = screen
          .ofType("alert")
          .filter((frame) => frame.data.kind === "drop" && frame.data.replayed !== true);
        expect(drops).toHaveLength(1);
        expect(screen.protocolErrors).toEqual([]);
      }
    }, 150_000);
  },
);
