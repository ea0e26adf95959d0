import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { RedisEventLog } from "../../services/cluster/redis-event-log.ts";
import { type CommittedEvent, StorageUnavailableError } from "../../services/pipeline/event-log.ts";
import { hasRedis, type RedisProcess, startRedis } from "../support/redis-process.ts";

const NOON = Date.UTC(2026, 5, 1, 12);

function event(session: string, page = "/"): VisitorEvent {
  return {
    type: "pageview",
    page,
    session_id: session,
    site: "example.com",
    country: "GB",
    device: "desktop",
    metadata: {},
    timestamp: null,
    received_at: new Date(NOON).toISOString(),
    browser: "Firefox",
  };
}

/** A log on `redis` whose subscriber records every delivered event. */
async function openLog(redis: RedisProcess, options: { minReplicas?: number; stream?: string }) {
  const log = await RedisEventLog.connect({ url: redis.url, probeIntervalMs: 50, ...options });
  const seen: CommittedEvent[] = [];
  log.subscribe((batch) => seen.push(...batch));
  log.startTail(0);
  return { log, seen };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}

describe.skipIf(!hasRedis)("the event log on a Redis Stream", () => {
  let redis: RedisProcess;
  const open: RedisEventLog[] = [];
  let streams = 0;
  // Each test its own stream on the one server: positions start at 1 in every test.
  const connect = async (options: { minReplicas?: number; stream?: string } = {}) => {
    const opened = await openLog(redis, { stream: `test:${streams}`, ...options });
    open.push(opened.log);
    return opened;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const log of open.splice(0)) await log.close().catch(() => {});
    streams++;
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  test("two instances both deliver every event of both, in one order, at consecutive positions", async () => {
    const a = await connect();
    const b = await connect();
    const appends: Promise<readonly CommittedEvent[]>[] = [];
    for (let round = 0; round < 30; round++) {
      appends.push(a.log.append([event(`a-${round}`), event(`a-${round}`, "/2")], NOON));
      appends.push(b.log.append([event(`b-${round}`)], NOON));
      if (round % 5 === 0) await Bun.sleep(1);
    }
    const committed = (await Promise.all(appends)).flat();
    expect(committed.map((one) => one.position).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 90 }, (_, index) => index + 1),
    );
    await until(() => a.seen.length === 90 && b.seen.length === 90);
    const order = (seen: CommittedEvent[]) =>
      seen.map(({ position, event }) => `${position}:${event.session_id}${event.page}`);
    expect(order(a.seen)).toEqual(order(b.seen));
    expect(a.seen.map((one) => one.position)).toEqual(committed.map((_, index) => index + 1));
    // What another instance wrote arrives whole, its receive time included.
    const fromB = a.seen.find((one) => one.event.session_id === "b-7");
    expect(fromB?.event).toEqual(event("b-7"));
    expect(fromB?.receivedAt).toBe(NOON);
    expect(a.log.lastPosition()).toBe(90);
  });

  test("an append resolves only after this instance's tail delivered its events", async () => {
    const a = await connect();
    const b = await connect();
    for (let round = 0; round < 20; round++) {
      const [mine, theirs] = await Promise.all([
        a.log.append([event(`a-${round}`)], NOON),
        b.log.append([event(`b-${round}`)], NOON),
      ]);
      const last = (mine[0] as CommittedEvent).position;
      expect(a.seen.some((one) => one.position === last)).toBe(true);
      expect(a.log.lastPosition()).toBeGreaterThanOrEqual(last);
      expect(b.seen.some((one) => one.position === (theirs[0] as CommittedEvent).position)).toBe(
        true,
      );
    }
  });

  test("appends made in one turn go to Redis in one call", async () => {
    const a = await connect();
    const appends = Array.from({ length: 50 }, (_, index) =>
      a.log.append([event(`s-${index}`)], NOON),
    );
    await Promise.all(appends);
    expect(a.log.stats()).toMatchObject({ commits: 1, events_committed: 50, degraded: false });
  });

  test("events are read back from a position: recent ones at once, all of them from the stream", async () => {
    const a = await connect();
    for (let index = 0; index < 25; index++) await a.log.append([event(`s-${index}`)], NOON);
    expect([...a.log.readFrom(20)].map((one) => one.position)).toEqual([21, 22, 23, 24, 25]);
    const read: CommittedEvent[] = [];
    for await (const one of a.log.readFromAsync(3, 7)) read.push(one);
    expect(read.map((one) => one.position)).toEqual(
      Array.from({ length: 22 }, (_, index) => index + 4),
    );
    expect(read[0]?.event.session_id).toBe("s-3");
  });

  test("with REDIS_MIN_REPLICAS and no replica to answer WAIT, an append is refused", async () => {
    const a = await connect({ minReplicas: 1 });
    const refused = a.log.append([event("s")], NOON);
    await expect(refused).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(a.log.degraded).toBe(true);
  });

  test("Redis killed: appends refused and degraded; restarted on its AOF: recovers, nothing acknowledged lost", async () => {
    const a = await connect();
    // What makes an acknowledgement survive a killed Redis (a start-up warning otherwise).
    expect(await a.log.persistence()).toEqual({ appendonly: "yes", appendfsync: "always" });
    const acknowledged = new Set<string>();
    const refused: unknown[] = [];
    let sending = true;
    // Appends keep coming while Redis dies and returns.
    const load = (async () => {
      for (let index = 0; sending; index++) {
        const session = `s-${index}`;
        await a.log.append([event(session)], NOON).then(
          () => acknowledged.add(session),
          (error) => refused.push(error),
        );
        if (refused.length > 0) await Bun.sleep(20);
      }
    })();
    await until(() => acknowledged.size >= 200);
    await redis.kill();
    await until(() => refused.length > 0 && a.log.degraded);
    expect(refused.every((error) => error instanceof StorageUnavailableError)).toBe(true);
    await redis.restart();
    await until(() => !a.log.degraded);
    const before = acknowledged.size;
    await until(() => acknowledged.size > before + 50);
    sending = false;
    await load;
    // A fresh instance reads the whole stream: every acknowledged event, once, at consecutive positions.
    const fresh = await connect({ stream: `test:${streams}` });
    const stored: CommittedEvent[] = [];
    for await (const one of fresh.log.readFromAsync(0)) stored.push(one);
    const sessions = stored.map((one) => one.event.session_id);
    for (const session of acknowledged) expect(sessions).toContain(session);
    expect(new Set(sessions).size).toBe(sessions.length);
    expect(stored.map((one) => one.position)).toEqual(stored.map((_, index) => index + 1));
    // The tail came back too: this instance delivered everything the stream holds.
    await until(() => a.log.lastPosition() === stored.length);
    expect(a.seen.map((one) => one.position)).toEqual(stored.map((one) => one.position));
  });
});
