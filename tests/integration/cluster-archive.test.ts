import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { RedisClient, SQL } from "bun";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { readArchived } from "../../services/cluster/archived-events.ts";
import { Archiver } from "../../services/cluster/archiver.ts";
import { migratePostgres, POSTGRES_MIGRATIONS } from "../../services/cluster/postgres-schema.ts";
import { RedisEventLog } from "../../services/cluster/redis-event-log.ts";
import type { CommittedEvent } from "../../services/pipeline/event-log.ts";
import { hasPostgres, type PostgresProcess, startPostgres } from "../support/postgres-process.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";

const NOON = Date.UTC(2026, 5, 1, 12);

function event(session: string): VisitorEvent {
  return {
    type: "pageview",
    page: "/pricing",
    session_id: session,
    site: "example.com",
    country: "GB",
    device: "mobile",
    metadata: { plan: "pro" },
    timestamp: null,
    received_at: new Date(NOON).toISOString(),
    browser: "Safari",
    city: "Leeds",
  };
}

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(20);
  }
}

describe.skipIf(!hasRedis || !hasPostgres)("archiving the stream to Postgres", () => {
  let redis: RedisProcess;
  let postgres: PostgresProcess;
  let sql: SQL;
  let raw: RedisClient;
  let streams = 0;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    sql = new SQL(postgres.url);
    raw = new RedisClient(redis.url);
    await migratePostgres(sql);
  });
  // One stream per test, each numbered from 1: the archive table holds one stream at a time.
  beforeEach(async () => {
    await sql`TRUNCATE events, archive_position`;
  });
  afterAll(async () => {
    raw?.close();
    await sql?.close();
    await Promise.all([redis?.dispose(), postgres?.dispose()]);
  });

  /** A fresh stream holding `count` events, appended through the event log. */
  async function streamOf(count: number): Promise<string> {
    const stream = `archive:${++streams}`;
    const log = await RedisEventLog.connect({ url: redis.url, stream });
    log.startTail(0);
    for (let start = 0; start < count; start += 100) {
      const batch = Array.from({ length: Math.min(100, count - start) }, (_, index) =>
        event(`${stream}-${start + index}`),
      );
      await log.append(batch, NOON);
    }
    await log.close();
    return stream;
  }

  const archived = async (stream: string) => {
    const [row] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT position)::int AS d
      FROM events WHERE session_id LIKE ${`${stream}-%`}`;
    return row as { n: number; d: number };
  };

  test("migrations run by several instances starting at once are applied once", async () => {
    await sql`CREATE DATABASE fresh`;
    const url = postgres.url.replace(/\/postgres$/, "/fresh");
    const clients = Array.from({ length: 4 }, () => new SQL(url, { max: 1 }));
    const applied = await Promise.all(clients.map((client) => migratePostgres(client)));
    expect(applied.flat().sort()).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    const rows = await (clients[0] as SQL)`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((row: { version: number }) => row.version)).toEqual(
      POSTGRES_MIGRATIONS.map((m) => m.version),
    );
    expect(await migratePostgres(clients[0] as SQL)).toEqual([]);
    await Promise.all(clients.map((client) => client.close()));
  });

  test("two archivers split the work and every event is in Postgres exactly once", async () => {
    const stream = await streamOf(3000);
    const options = { redisUrl: redis.url, sql, stream, batchSize: 100 };
    const archivers = await Promise.all([
      Archiver.start({ ...options, consumer: "one" }),
      Archiver.start({ ...options, consumer: "two" }),
    ]);
    // Until every event is acknowledged (stopping between a batch's insert and its XACK would
    // leave that batch pending, for another archiver to claim: right, but not this test's case).
    await until(
      async () =>
        (archivers[0]?.totals.archived ?? 0) + (archivers[1]?.totals.archived ?? 0) >= 3000,
    );
    await Promise.all(archivers.map((archiver) => archiver.stop()));
    expect(await archived(stream)).toEqual({ n: 3000, d: 3000 });
    for (const archiver of archivers) expect(archiver.totals.archived).toBeGreaterThan(0);
    expect(archivers[0].totals.archived + archivers[1].totals.archived).toBe(3000);
    const [row] = await sql`SELECT * FROM events WHERE session_id = ${`${stream}-41`}`;
    expect(row).toMatchObject({
      position: "42",
      site: "example.com",
      browser: "Safari",
      city: "Leeds",
      metadata: '{"plan":"pro"}',
      received_at: String(NOON),
    });
  });

  test("a batch a dead consumer left pending is claimed by another and archived once", async () => {
    const stream = await streamOf(300);
    const group = "footfall-archivers";
    await raw.send("XGROUP", ["CREATE", stream, group, "0"]);
    // "dead" reads a batch and dies before archiving it.
    await raw.send("XREADGROUP", ["GROUP", group, "dead", "COUNT", "50", "STREAMS", stream, ">"]);
    const survivor = await Archiver.start({
      redisUrl: redis.url,
      sql,
      stream,
      consumer: "survivor",
      claimIdleMs: 300,
    });
    await until(async () => (await archived(stream)).n === 300);
    await until(async () => ((await raw.send("XPENDING", [stream, group])) as [number])[0] === 0);
    await survivor.stop();
    expect(survivor.totals.claimed).toBe(50);
    expect(await archived(stream)).toEqual({ n: 300, d: 300 });
  });

  test("the stream is trimmed only behind what is archived, and only after the margin", async () => {
    const stream = await streamOf(500);
    const group = "footfall-archivers";
    await raw.send("XGROUP", ["CREATE", stream, group, "0"]);
    await raw.send("XREADGROUP", ["GROUP", group, "dead", "COUNT", "50", "STREAMS", stream, ">"]);
    const options = { redisUrl: redis.url, sql, stream, trimIntervalMs: 20 };
    // Positions 1-50 stay pending (no claim yet): nothing may be trimmed, however old.
    const first = await Archiver.start({
      ...options,
      consumer: "first",
      claimIdleMs: 60_000,
      trimMarginMs: 0,
    });
    await until(async () => (await archived(stream)).n === 450);
    await Bun.sleep(200);
    await first.stop();
    expect(await raw.send("XLEN", [stream])).toBe(500);
    // A long margin: all archived, and still kept.
    const patient = await Archiver.start({
      ...options,
      consumer: "patient",
      claimIdleMs: 50,
      trimMarginMs: 60_000,
    });
    await until(async () => (await archived(stream)).n === 500);
    await Bun.sleep(200);
    await patient.stop();
    expect(await raw.send("XLEN", [stream])).toBe(500);
    const [position] =
      await sql`SELECT position::int AS p FROM archive_position WHERE stream = ${stream}`;
    expect(position).toEqual({ p: 500 });
    // No margin: trimmed through the archived position, never past it.
    const eager = await Archiver.start({ ...options, consumer: "eager", trimMarginMs: 0 });
    await until(async () => (await raw.send("XLEN", [stream])) === 0);
    await eager.stop();
    const info = (await raw.send("XINFO", ["STREAM", stream])) as Record<string, string>;
    expect(info["last-generated-id"]).toBe("0-500");
  });

  const consumers = async (stream: string) =>
    (
      (await raw.send("XINFO", ["CONSUMERS", stream, "footfall-archivers"])) as {
        name: string;
        pending: number;
      }[]
    ).map(({ name, pending }) => ({ name, pending }));

  test("the archive position is recorded after each batch, not on the trim timer", async () => {
    const stream = await streamOf(250);
    const archiver = await Archiver.start({
      redisUrl: redis.url,
      sql,
      stream,
      consumer: "prompt",
      batchSize: 100,
      trimIntervalMs: 60_000,
    });
    await until(async () => archiver.totals.archived === 250);
    const [row] =
      await sql`SELECT position::int AS p FROM archive_position WHERE stream = ${stream}`;
    expect(row).toEqual({ p: 250 });
    await archiver.stop();
  });

  test("a stopped archiver with nothing pending leaves the group; one holding a batch stays for a claim", async () => {
    const stream = await streamOf(200);
    const options = { redisUrl: redis.url, stream, claimIdleMs: 60_000 };
    const leaver = await Archiver.start({ ...options, sql, consumer: "leaver" });
    await until(async () => leaver.totals.archived === 200);
    expect(await leaver.stop()).toBe(true);
    expect(await consumers(stream)).toEqual([]);
    // Archiving into a database without the tables fails: the batch it read stays pending.
    await sql`CREATE DATABASE no_tables`;
    const broken = new SQL(postgres.url.replace(/\/postgres$/, "/no_tables"));
    const errors: unknown[] = [];
    await raw.send("XADD", [stream, "0-*", "r", String(NOON), "e", JSON.stringify(event("x"))]);
    const holder = await Archiver.start({
      ...options,
      sql: broken,
      consumer: "holder",
      onError: (error) => errors.push(error),
    });
    await until(async () => (await consumers(stream))[0]?.pending === 1);
    expect(errors.length).toBeGreaterThan(0);
    expect(await holder.stop()).toBe(false);
    expect(await consumers(stream)).toEqual([{ name: "holder", pending: 1 }]);
    await broken.close();
  });

  test("consumers idle for long with nothing pending are pruned; one holding a batch is kept", async () => {
    const stream = await streamOf(100);
    const group = "footfall-archivers";
    await raw.send("XGROUP", ["CREATE", stream, group, "0"]);
    await raw.send("XGROUP", ["CREATECONSUMER", stream, group, "gone-empty"]);
    await raw.send("XREADGROUP", [
      "GROUP",
      group,
      "gone-holding",
      "COUNT",
      "10",
      "STREAMS",
      stream,
      ">",
    ]);
    await Bun.sleep(300);
    const pruner = await Archiver.start({
      redisUrl: redis.url,
      sql,
      stream,
      consumer: "pruner",
      claimIdleMs: 60_000,
      pruneIdleMs: 250,
      trimIntervalMs: 20,
    });
    await until(async () => pruner.totals.pruned === 1);
    const names = (await consumers(stream)).map((consumer) => consumer.name).sort();
    expect(names).toEqual(["gone-holding", "pruner"]);
    expect(await pruner.stop()).toBe(true);
  });

  test("a late tail meeting a trimmed gap reads it from the archive, in order, then goes on with the stream", async () => {
    const stream = await streamOf(300);
    // No margin: archived and trimmed at once, before the late instance reads any of it.
    const archiver = await Archiver.start({
      redisUrl: redis.url,
      sql,
      stream,
      consumer: "trimmer",
      batchSize: 100,
      trimMarginMs: 0,
      trimIntervalMs: 20,
    });
    await until(async () => (await raw.send("XLEN", [stream])) === 0);
    await archiver.stop();
    const late = await RedisEventLog.connect({ url: redis.url, stream, batchSize: 64 });
    const seen: CommittedEvent[] = [];
    const errors: Error[] = [];
    late.subscribe((batch) => seen.push(...batch));
    late.onTailError((error) => errors.push(error));
    late.startTail(0, (after, before) => readArchived(sql, after, before));
    // Its own append is answered once the tail has delivered everything before it.
    const [mine] = await late.append([event(`${stream}-300`)], NOON);
    expect(mine?.position).toBe(301);
    expect(seen.map((one) => one.position)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    expect(seen.map((one) => one.event.session_id)).toEqual(
      Array.from({ length: 301 }, (_, i) => `${stream}-${i}`),
    );
    expect(seen[41]?.event).toMatchObject({ city: "Leeds", metadata: { plan: "pro" } });
    expect(seen[41]?.receivedAt).toBe(NOON);
    expect(errors).toEqual([]);
    await late.close();
  });
});
