import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { StoredAlert } from "../../schemas/alerting.ts";
import {
  type AlertingStores,
  postgresAlertingStores,
  sqliteAlertingStores,
} from "../../services/alerting/alerting-stores.ts";
import { migrateAlertingTables } from "../../services/alerting/postgres-alerting-schema.ts";
import { migrate } from "../../services/storage/migrations.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";

const NOON = Date.UTC(2026, 5, 1, 12);
const DEFAULTS = { threshold: 10, cooldownSeconds: 60 };

function alert(id: string, at: number, fields: Partial<StoredAlert> = {}): StoredAlert {
  return {
    id,
    rule_id: 1,
    site: "shop.test",
    kind: "drop",
    level: "warning",
    message: `alert ${id}`,
    details: { visitors: 1, floor: 5, window_minutes: 30 },
    timestamp: new Date(at).toISOString(),
    ...fields,
  };
}

/** The same calls on a store; what they answered, for comparing the two backends. */
async function script(stores: AlertingStores) {
  const { rules, destinations, history, deliveries } = stores;
  const spike = await rules.create({ kind: "spike", site: "shop.test", threshold: 7 }, NOON);
  const drop = await rules.create(
    { kind: "drop", site: "blog.test", floor: 3, active_hours: { from: "08:00", to: "22:00" } },
    NOON + 1,
  );
  const patched = await rules.update(drop.id, { floor: 4, enabled: false }, NOON + 2);
  const removed = [await rules.remove(spike.id), await rules.remove(spike.id)];
  const destination = await destinations.create(
    { name: "ops", type: "webhook", url: "https://example.com/hook" },
    "whsec_x",
    NOON,
  );
  const recorded = [
    await history.record(alert("a", NOON)),
    await history.record(alert("b", NOON)),
    await history.record(alert("a", NOON)),
    await history.record(alert("c", NOON - 1000, { rule_id: null, site: null, kind: "spike" })),
  ];
  const queued = [
    await deliveries.enqueue("a", destination.id, "{}", NOON),
    await deliveries.enqueue("a", destination.id, "{}", NOON),
    await deliveries.enqueue("b", destination.id, "{}", NOON + 5),
  ];
  const claimed = await deliveries.claimDue(NOON + 5, 10, NOON + 5);
  const [first, second] = claimed;
  if (!first || !second) throw new Error("two deliveries are due");
  await deliveries.delivered(first, 1, { status: 200, error: null }, NOON + 10);
  await deliveries.failed(second, 1, { status: 500, error: "HTTP 500" }, NOON + 2000);
  return {
    rules: await rules.list(),
    blog: await rules.list("blog.test"),
    patched,
    removed,
    destinations: await destinations.list(),
    recorded,
    queued: queued.map((id) => id !== undefined),
    claimed: claimed.map((delivery) => delivery.alertId),
    page: await history.query({ limit: 2, offset: 0 }),
    filtered: await history.query({ site: "shop.test", kind: "drop", limit: 50, offset: 0 }),
    latest: await history.latestOfRule(1),
    // Ids apart: a conflicting insert uses up a Postgres sequence's number, not SQLite's.
    log: (await deliveries.ofDestination(destination.id, 50, 0)).deliveries.map(
      ({ id: _, ...delivery }) => delivery,
    ),
    nextDueAt: await deliveries.nextDueAt(),
  };
}

describe.skipIf(!hasPostgres)("alerting's stores on the cluster's Postgres", () => {
  let postgres: PostgresProcess;
  const clients: SQL[] = [];
  const connect = () => {
    const sql = new SQL(postgres.url, { max: 3 });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    for (const sql of clients) await sql.close();
    await postgres?.dispose();
  });

  test("instances creating the tables at once all succeed (an advisory lock, IF NOT EXISTS)", async () => {
    await Promise.all([connect(), connect(), connect(), connect()].map(migrateAlertingTables));
    const [row] = await connect()`SELECT COUNT(*)::int AS n FROM information_schema.tables
      WHERE table_name IN ('alert_rules', 'alert_destinations', 'alert_history', 'alert_deliveries')`;
    expect(row.n).toBe(4);
  });

  test("SQLite and Postgres answer the same calls alike", async () => {
    const sqlite = new Database(":memory:", { strict: true });
    migrate(sqlite);
    const onSqlite = await script(sqliteAlertingStores(() => sqlite, DEFAULTS));
    const sql = connect();
    await sql`TRUNCATE alert_rules, alert_destinations, alert_history, alert_deliveries RESTART IDENTITY`;
    const onPostgres = await script(postgresAlertingStores(sql, DEFAULTS));
    expect(onPostgres).toEqual(onSqlite);
    expect(onPostgres.recorded).toEqual([true, true, false, true]);
    expect(onPostgres.queued).toEqual([true, false, true]);
    expect(onPostgres.page.total).toBe(3);
    expect(onPostgres.page.alerts.map((a) => a.id)).toEqual(["b", "a"]);
    expect(onPostgres.patched).toMatchObject({ floor: 4, enabled: false, window_minutes: 30 });
    expect(onPostgres.removed).toEqual([true, false]);
    expect(onPostgres.log.map((d) => d.status)).toEqual(["pending", "delivered"]);
    expect(onPostgres.nextDueAt).toBe(NOON + 2000);
    sqlite.close();
  });

  test("workers claiming at once take each due delivery exactly once", async () => {
    const sql = connect();
    await sql`TRUNCATE alert_deliveries RESTART IDENTITY`;
    const instances = [1, 2, 3, 4].map(() => postgresAlertingStores(connect(), DEFAULTS));
    const [first] = instances;
    if (!first) throw new Error("unreachable");
    for (let n = 0; n < 60; n++) await first.deliveries.enqueue(`alert-${n}`, 1, "{}", NOON);
    const taken = await Promise.all(
      instances.map(async ({ deliveries }) => {
        const mine: string[] = [];
        while (true) {
          const claimed = await deliveries.claimDue(NOON, 4, NOON + 60_000);
          if (claimed.length === 0) return mine;
          mine.push(...claimed.map((delivery) => delivery.alertId));
        }
      }),
    );
    const all = taken.flat();
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(await first.deliveries.nextDueAt()).toBe(NOON + 60_000);
  });

  test("a worker that dies mid-attempt: its lease runs out, another sends it, the late outcome is not written", async () => {
    const sql = connect();
    await sql`TRUNCATE alert_deliveries RESTART IDENTITY`;
    const [a, b] = [1, 2].map(() => postgresAlertingStores(connect(), DEFAULTS).deliveries);
    if (!a || !b) throw new Error("unreachable");
    const id = await a.enqueue("rule-1:drop:42", 1, "{}", NOON);
    const [held] = await a.claimDue(NOON, 4, NOON + 35_000);
    expect(held?.id).toBe(id as number);
    expect(await b.claimDue(NOON + 34_999, 4, NOON + 70_000)).toEqual([]);
    const [retaken] = await b.claimDue(NOON + 35_000, 4, NOON + 70_000);
    expect(retaken).toMatchObject({ id, attempts: 0, leaseUntil: NOON + 70_000 });
    if (!held || !retaken) throw new Error("unreachable");
    expect(await b.delivered(retaken, 1, { status: 200, error: null }, NOON + 35_100)).toBe(true);
    expect(await a.failed(held, 1, { status: null, error: "late" }, NOON + 40_000)).toBe(false);
    expect(await a.get(id as number)).toMatchObject({ status: "delivered", last_error: null });
  });
});
