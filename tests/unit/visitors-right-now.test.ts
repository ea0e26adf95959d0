import { describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { AnalyticsStore, VISITORS_NOW_WINDOW_MS } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import { MemoryEventLog } from "../../services/pipeline/memory-event-log.ts";
import { Pipeline } from "../../services/pipeline/pipeline.ts";
import { FilteredDistinctWindow } from "../../services/sliding-windows.ts";

const MINUTE = 60_000;
const HOME = { site: "shop", country: "ES", page: "/" };

describe("the window of visitors right now", () => {
  test("a visitor leaves it 5 minutes after their last event, read without a tick", () => {
    const window = new FilteredDistinctWindow(VISITORS_NOW_WINDOW_MS, 100);
    window.touch("v1", HOME, 0);
    window.touch("v2", HOME, 2 * MINUTE);
    expect(window.count({}, 5 * MINUTE - 1)).toBe(2);
    expect(window.count({}, 5 * MINUTE)).toBe(1);
    expect(window.count({}, 7 * MINUTE)).toBe(0);
  });

  test("a read changes nothing: the same count before and after the tick prunes", () => {
    const window = new FilteredDistinctWindow(VISITORS_NOW_WINDOW_MS, 100);
    window.touch("v1", HOME, 0);
    window.touch("v2", { ...HOME, country: "FR" }, MINUTE);
    const now = 5 * MINUTE + 1;
    const before = [window.count({}, now), window.count({ country: "FR" }, now)];
    expect(window.count({}, now)).toBe(before[0] as number);
    window.prune(now);
    expect([window.count({}, now), window.count({ country: "FR" }, now)]).toEqual(before);
    expect(before).toEqual([1, 1]);
  });

  test("a visitor counts once, under the site, country and page of their latest event", () => {
    const window = new FilteredDistinctWindow(VISITORS_NOW_WINDOW_MS, 100);
    window.touch("v1", HOME, 0);
    window.touch("v1", { ...HOME, page: "/pricing" }, 1000);
    window.touch("v2", { ...HOME, site: "blog" }, 2000);
    expect(window.count({}, 3000)).toBe(2);
    expect(window.count({ site: "shop" }, 3000)).toBe(1);
    expect(window.count({ site: "shop", page: "/" }, 3000)).toBe(0);
    expect(window.count({ page: "/" }, 3000)).toBe(1);
    expect(window.count({ page: "/pricing", country: "ES" }, 3000)).toBe(1);
  });

  test("past its key cap the stalest visitor goes", () => {
    const window = new FilteredDistinctWindow(VISITORS_NOW_WINDOW_MS, 2);
    for (const [index, key] of ["a", "b", "c"].entries()) window.touch(key, HOME, index);
    expect(window.count({}, 10)).toBe(2);
    expect(window.count({ site: "shop" }, 10)).toBe(2);
  });
});

/** A live store following its own log; `send` appends an event at the clock's time. */
function live() {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const options = { sessionTimeoutMs: 30 * MINUTE, maxActiveSessions: 1000, maxTrackedKeys: 1000 };
  const store = new AnalyticsStore(clock, options);
  const pipeline = new Pipeline([store], (_stage, error) => {
    throw error;
  });
  const log = new MemoryEventLog();
  pipeline.follow(log);
  const send = (event: Partial<VisitorEvent> & { session_id: string }) => {
    const full: VisitorEvent = {
      type: "pageview",
      page: "/",
      site: "shop",
      country: "ES",
      device: "desktop",
      metadata: {},
      timestamp: null,
      received_at: new Date(clock.now()).toISOString(),
      ...event,
    };
    void log.append([full], clock.now());
  };
  return { clock, store, send, log, options, tick: () => pipeline.tick(clock.now()) };
}

describe("visitors_right_now in the live store", () => {
  test("a visitor with two sessions counts once; each session counts as active", () => {
    const { store, send } = live();
    send({ session_id: "s1", visitor_id: "visitor-a" });
    send({ session_id: "s2", visitor_id: "visitor-a", page: "/b" });
    send({ session_id: "s3", visitor_id: "visitor-b" });
    const stats = store.currentStats();
    expect(stats.total_active).toBe(3);
    expect(stats.visitors_right_now).toBe(2);
  });

  test("visitors leave it after 5 minutes while their sessions stay active (30 minutes)", () => {
    const { clock, store, send, tick } = live();
    send({ session_id: "s1", visitor_id: "a" });
    clock.advance(3 * MINUTE);
    send({ session_id: "s2", visitor_id: "b" });
    clock.advance(2 * MINUTE);
    expect(store.currentStats()).toMatchObject({ total_active: 2, visitors_right_now: 1 });
    clock.advance(3 * MINUTE);
    tick();
    expect(store.currentStats()).toMatchObject({ total_active: 2, visitors_right_now: 0 });
  });

  test("a session_end does not take its visitor out of the last 5 minutes", () => {
    const { store, send } = live();
    send({ session_id: "s1", visitor_id: "a" });
    send({ session_id: "s1", type: "session_end" });
    expect(store.currentStats()).toMatchObject({ total_active: 0, visitors_right_now: 1 });
  });

  test("it follows the site, country and page filters; a visitor's key counts per site", () => {
    const { store, send } = live();
    send({ session_id: "s1", user_id: "u1", site: "shop", country: "ES", page: "/a" });
    send({ session_id: "s2", user_id: "u1", site: "blog", country: "FR", page: "/a" });
    send({ session_id: "s3", user_id: "u2", site: "shop", country: "FR", page: "/b" });
    expect(store.currentStats().visitors_right_now).toBe(3);
    expect(store.currentStats({ site: "shop" }).visitors_right_now).toBe(2);
    expect(store.currentStats({ country: "FR" }).visitors_right_now).toBe(2);
    expect(store.currentStats({ page: "/a", site: "blog" }).visitors_right_now).toBe(1);
    expect(JSON.parse(store.liveStatsJson({ site: "shop" })).visitors_right_now).toBe(2);
  });

  test("it is restored from a snapshot, and by replaying the log", () => {
    const { clock, store, send, log, options } = live();
    send({ session_id: "s1", visitor_id: "a" });
    send({ session_id: "s2", visitor_id: "b" });
    const restored = new AnalyticsStore(clock, options);
    restored.importState(JSON.parse(JSON.stringify(store.exportState())));
    expect(restored.currentStats().visitors_right_now).toBe(2);

    const replayed = new AnalyticsStore(clock, options);
    new Pipeline([replayed], () => {}).replay(log, 0);
    expect(replayed.currentStats().visitors_right_now).toBe(2);
    clock.advance(VISITORS_NOW_WINDOW_MS);
    expect(replayed.currentStats().visitors_right_now).toBe(0);
  });

  test("a snapshot written before the window was kept restores with none", () => {
    const { clock, store, send, options } = live();
    send({ session_id: "s1", visitor_id: "a" });
    const { visitorsNow: _left, ...older } = store.exportState();
    const restored = new AnalyticsStore(clock, options);
    restored.importState(older);
    expect(restored.currentStats()).toMatchObject({ total_active: 1, visitors_right_now: 0 });
  });
});
