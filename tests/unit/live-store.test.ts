import { describe, expect, test } from "bun:test";
import type { Alert, SessionEndReason, VisitorEvent } from "../../interfaces/analytics.ts";
import { AlertDetector } from "../../services/alert-detector.ts";
import {
  AnalyticsStore,
  BREAKDOWN_MAX_BYTES,
  RECENT_EVENTS,
  STATS_MAX_BYTES,
} from "../../services/analytics-store.ts";
import { ANSWER_MAX_BYTES, jsonStringBytes } from "../../services/answer-budget.ts";
import { ManualClock } from "../../services/clock.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import { OTHER } from "../../services/key-cap.ts";
import { MemoryEventLog } from "../../services/pipeline/memory-event-log.ts";
import { Pipeline } from "../../services/pipeline/pipeline.ts";
import type { Step } from "../../services/pipeline/step.ts";
import { JOURNEY_LIMIT } from "../../services/session.ts";
import { LIST_JOURNEY_MAX_BYTES } from "../../services/session-view.ts";

const MINUTE = 60_000;

function live(
  options: {
    timeoutMinutes?: number;
    maxSessions?: number;
    maxKeys?: number;
    threshold?: number;
    cooldownMs?: number;
    statsMaxPages?: number;
    maxKeyBytes?: number;
    maxLiveBytes?: number;
  } = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const store = new AnalyticsStore(clock, {
    sessionTimeoutMs: (options.timeoutMinutes ?? 30) * MINUTE,
    maxActiveSessions: options.maxSessions ?? 1000,
    maxTrackedKeys: options.maxKeys ?? 1000,
    statsMaxPages: options.statsMaxPages ?? 100,
    maxTrackedKeyBytes: options.maxKeyBytes ?? 1024 * 1024,
    maxLiveStateBytes: options.maxLiveBytes ?? 64 * 1024 * 1024,
  });
  const alerts: Alert[] = [];
  const ended: { id: string; reason: SessionEndReason }[] = [];
  const detector = new AlertDetector(store, clock, {
    threshold: options.threshold ?? 10,
    cooldownMs: options.cooldownMs ?? MINUTE,
  });
  const { log, tick } = follow([store, detector], clock, (step) => {
    for (const { session, reason } of step.ended) ended.push({ id: session.session_id, reason });
    alerts.push(...step.alerts);
  });
  const send = (
    input: Partial<VisitorEvent> & {
      session_id: string;
      page?: string;
      type?: VisitorEvent["type"];
    },
  ) => {
    const event = toVisitorEvent(
      {
        type: input.type ?? "pageview",
        page: input.page ?? "/",
        session_id: input.session_id,
        country: input.country,
        site: input.site,
        name: input.type === "custom" ? "signup" : undefined,
        metadata: input.device ? { device: input.device } : undefined,
      },
      clock.now(),
    );
    void log.append([event], clock.now());
  };
  return { clock, store, alerts, ended, detector, send, tick };
}

/** The projections following a log of their own, `react` told of every step, ticks by hand. */
function follow(
  projections: ConstructorParameters<typeof Pipeline>[0],
  clock: ManualClock,
  react: (step: Step) => void = () => {},
) {
  const pipeline = new Pipeline(projections, (_stage, error) => {
    throw error;
  });
  const log = new MemoryEventLog();
  pipeline.follow(log);
  pipeline.react({ name: "test", react });
  return { log, tick: () => pipeline.tick(clock.now()) };
}

describe("sessions", () => {
  test("a session idle past the timeout leaves the active count, whenever it is read", () => {
    const { clock, store, send } = live({ timeoutMinutes: 30 });
    send({ session_id: "a" });
    clock.advance(29 * MINUTE);
    send({ session_id: "b" });
    expect(store.currentStats().total_active).toBe(2);
    clock.advance(MINUTE);
    expect(store.currentStats().total_active).toBe(1);
    expect(store.activeSessions({}, 10).sessions.map((session) => session.session_id)).toEqual([
      "b",
    ]);
  });

  test("a session that times out is announced once with reason timeout", () => {
    const { clock, ended, send, tick } = live({ timeoutMinutes: 1 });
    send({ session_id: "a" });
    clock.advance(MINUTE);
    tick();
    tick();
    expect(ended).toEqual([{ id: "a", reason: "timeout" }]);
  });

  test("activity keeps a session alive; its duration runs from the first to the last event", () => {
    const { clock, store, send } = live({ timeoutMinutes: 30 });
    send({ session_id: "a", page: "/one" });
    clock.advance(20 * MINUTE);
    send({ session_id: "a", type: "click", page: "/one" });
    clock.advance(20 * MINUTE);
    const session = store.session("a");
    expect(session?.duration).toBe(20 * 60);
    expect(session?.journey).toEqual(["/one"]);
  });

  test("a session keeps its journey in order, the most recent 50 pages, flagged when truncated", () => {
    const { store, send } = live();
    for (let index = 1; index <= JOURNEY_LIMIT + 5; index++)
      send({ session_id: "a", page: `/p${index}` });
    const session = store.session("a");
    expect(session?.journey).toHaveLength(JOURNEY_LIMIT);
    expect(session?.journey[0]).toBe("/p6");
    expect(session?.journey.at(-1)).toBe(`/p${JOURNEY_LIMIT + 5}`);
    expect(session?.journey_truncated).toBe(true);
    expect(session?.page_views).toBe(JOURNEY_LIMIT + 5);
  });

  test("past the cap on active sessions the least recently active one is evicted", () => {
    const { clock, store, ended, send } = live({ maxSessions: 2 });
    send({ session_id: "a" });
    clock.advance(1000);
    send({ session_id: "b" });
    clock.advance(1000);
    send({ session_id: "a" });
    send({ session_id: "c" });
    expect(ended).toEqual([{ id: "b", reason: "evicted" }]);
    expect(store.currentStats().total_active).toBe(2);
  });
});

describe("counters and filters", () => {
  test("filters by country, page and site intersect, from counters", () => {
    const { store, send } = live();
    send({ session_id: "a", country: "ES", page: "/home", site: "one" });
    send({ session_id: "a", country: "ES", page: "/shop", site: "one" });
    send({ session_id: "b", country: "ES", page: "/home", site: "two" });
    send({ session_id: "c", country: "FR", page: "/home", site: "one" });
    expect(store.currentStats({ country: "ES" })).toEqual({
      total_active: 2,
      total_today: 3,
      pages_visited: { "/home": 2, "/shop": 1 },
      pages_total: 2,
      visitors_right_now: 2,
    });
    expect(store.currentStats({ page: "/home" })).toEqual({
      total_active: 2,
      total_today: 3,
      pages_visited: { "/home": 3 },
      pages_total: 1,
      visitors_right_now: 2,
    });
    expect(store.currentStats({ country: "ES", page: "/home", site: "one" })).toEqual({
      total_active: 0,
      total_today: 1,
      pages_visited: { "/home": 1 },
      pages_total: 1,
      visitors_right_now: 0,
    });
    expect(store.currentStats({ site: "two" })).toEqual({
      total_active: 1,
      total_today: 1,
      pages_visited: { "/home": 1 },
      pages_total: 1,
      visitors_right_now: 1,
    });
  });

  test("the stats JSON shared by answers is the stats object, serialised, under every filter; ingestion's leaves visitors_right_now out", () => {
    const { store, send, clock } = live();
    send({ session_id: "a", country: "ES", page: "/home", site: "one" });
    send({ session_id: "a", country: "ES", page: "/shop", site: "one" });
    send({ session_id: "b", country: "FR", page: "/__proto__", site: "two" });
    const filters = [{}, { site: "one" }, { country: "FR" }, { page: "/home" }, { site: "none" }];
    for (const filter of filters) {
      expect(JSON.parse(store.liveStatsJson(filter))).toEqual(store.currentStats(filter));
      const { visitors_right_now: _added, ...seed } = store.currentStats(filter);
      expect(JSON.parse(store.currentStatsJson(filter))).toEqual(seed);
    }
    // A change of state is seen by the next answer; a copy handed out earlier is not changed.
    const before = store.currentStats({ site: "one" });
    send({ session_id: "c", country: "ES", page: "/home", site: "one" });
    clock.advance(1000);
    expect(JSON.parse(store.currentStatsJson({ site: "one" })).pages_visited).toEqual({
      "/home": 2,
      "/shop": 1,
    });
    expect(before.pages_visited).toEqual({ "/home": 1, "/shop": 1 });
  });

  test("top pages rank by views, ties by page name, whatever order the pages were first seen in", () => {
    const { store, send } = live();
    for (const page of ["/zeta", "/alpha", "/mid", "/mid"]) send({ session_id: "a", page });
    expect(store.detailed().top_pages).toEqual([
      { page: "/mid", views: 2 },
      { page: "/alpha", views: 1 },
      { page: "/zeta", views: 1 },
    ]);
  });

  test("clicks and custom events keep sessions alive but are not pageviews", () => {
    const { store, send } = live();
    send({ session_id: "a", type: "click", page: "/x" });
    send({ session_id: "a", type: "custom", page: "/x" });
    expect(store.currentStats()).toEqual({
      total_active: 1,
      total_today: 0,
      pages_visited: {},
      pages_total: 0,
      visitors_right_now: 1,
    });
  });

  test("distinct pages and countries past the cap fold into (other)", () => {
    const { store, send } = live({ maxKeys: 2 });
    for (const [index, page] of ["/a", "/b", "/c", "/d"].entries()) {
      send({ session_id: `s${index}`, page, country: ["ES", "FR", "DE", "IT"][index] });
    }
    expect(store.currentStats().pages_visited).toEqual({ "/a": 1, "/b": 1, [OTHER]: 2 });
    expect(store.currentStats().pages_total).toBe(2);
    expect(store.detailed().country_breakdown).toEqual({ ES: 1, FR: 1, [OTHER]: 2 });
    expect(store.status().today).toMatchObject({ pages: 2, countries: 2, max_tracked_keys: 2 });
  });

  test("pages_visited lists only the most viewed pages, ties by name, the rest summed as (other)", () => {
    const { store, send } = live({ statsMaxPages: 3 });
    const views = { "/d": 1, "/c": 2, "/e": 1, "/b": 2, "/a": 3 };
    for (const [page, count] of Object.entries(views))
      for (let index = 0; index < count; index++) send({ session_id: "a", page, site: "one" });
    send({ session_id: "b", page: "/z", site: "two" });
    expect(store.currentStats({ site: "one" })).toEqual({
      total_active: 1,
      total_today: 9,
      pages_visited: { "/a": 3, "/b": 2, "/c": 2, [OTHER]: 2 },
      pages_total: 5,
      visitors_right_now: 1,
    });
    expect(JSON.parse(store.liveStatsJson({ site: "one" }))).toEqual(
      store.currentStats({ site: "one" }),
    );
    expect(Object.keys(store.currentStats().pages_visited)).toEqual(["/a", "/b", "/c", OTHER]);
    expect(store.currentStats().pages_total).toBe(6);
    expect(store.detailed({ site: "one" }).summary.pages_visited).toEqual({
      "/a": 3,
      "/b": 2,
      "/c": 2,
      [OTHER]: 2,
    });
    // A page overtaking the last listed one takes its place.
    send({ session_id: "a", page: "/e", site: "one" });
    send({ session_id: "a", page: "/e", site: "one" });
    expect(store.currentStats({ site: "one" }).pages_visited).toEqual({
      "/a": 3,
      "/e": 3,
      "/b": 2,
      [OTHER]: 3,
    });
  });

  test("the listed pages survive a snapshot in the same order", () => {
    const { store, send } = live({ statsMaxPages: 2 });
    for (const page of ["/x", "/y", "/y", "/w", "/w", "/v"]) send({ session_id: "a", page });
    const restored = live({ statsMaxPages: 2 });
    restored.store.importState(store.exportState());
    expect(restored.store.currentStats()).toEqual(store.currentStats());
    expect(Object.keys(restored.store.currentStats().pages_visited)).toEqual(["/w", "/y", OTHER]);
  });

  test("distinct keys past the byte budget of the day fold into (other) like past the count cap", () => {
    const { store, send } = live({ maxKeyBytes: 1000 });
    for (const letter of ["a", "b", "c", "d"])
      send({ session_id: letter, page: `/${letter.repeat(299)}` });
    // Three pages of 300 bytes fit in 1,000; the fourth does not.
    expect(store.status().today).toMatchObject({ pages: 3, max_tracked_key_bytes: 1000 });
    expect(store.currentStats().pages_visited[OTHER]).toBe(1);
    expect(store.currentStats().total_today).toBe(4);
    // A short page still fits.
    send({ session_id: "e", page: "/e" });
    expect(store.currentStats().pages_visited["/e"]).toBe(1);
  });

  test("__proto__ as a country, site or device is counted and listed like any other key", () => {
    const { store, send } = live();
    send({ session_id: "a", country: "__proto__", site: "__proto__", device: "__proto__" });
    send({ session_id: "b", country: "ES", site: "one" });
    const detailed = store.detailed();
    expect(Object.hasOwn(detailed.country_breakdown, "__proto__")).toBe(true);
    expect(JSON.parse(JSON.stringify(detailed.country_breakdown))).toEqual(
      JSON.parse('{"__proto__": 1, "ES": 1}'),
    );
    expect(Object.hasOwn(detailed.device_breakdown, "__proto__")).toBe(true);
    expect(store.currentStats({ site: "__proto__" })).toMatchObject({
      total_active: 1,
      total_today: 1,
    });
    expect(store.detailed({ site: "__proto__" }).country_breakdown).toEqual(
      JSON.parse('{"__proto__": 1}'),
    );
    expect(store.status().today).toMatchObject({ countries: 2, sites: 2 });
  });

  test("the device breakdown follows the site and country filters", () => {
    const { store, send } = live();
    send({ session_id: "a", country: "ES", site: "one", device: "mobile" });
    send({ session_id: "a", country: "ES", site: "one", device: "mobile" });
    send({ session_id: "b", country: "ES", site: "two", device: "desktop" });
    send({ session_id: "c", country: "FR", site: "one", device: "desktop" });
    send({ session_id: "d", country: "FR", site: "one" });
    expect(store.detailed().device_breakdown).toEqual({ mobile: 2, desktop: 2, unknown: 1 });
    expect(store.detailed({ country: "ES" }).device_breakdown).toEqual({ mobile: 2, desktop: 1 });
    expect(store.detailed({ site: "one" }).device_breakdown).toEqual({
      mobile: 2,
      desktop: 1,
      unknown: 1,
    });
    expect(store.detailed({ site: "one", country: "FR" }).device_breakdown).toEqual({
      desktop: 1,
      unknown: 1,
    });
    expect(store.detailed({ site: "nowhere" }).device_breakdown).toEqual({});
  });

  test("device counts stay bounded: past the cap devices fold into (other), and survive a snapshot", () => {
    const { store, send } = live({ maxKeys: 2 });
    for (const [index, device] of ["mobile", "desktop", "tablet", "tv"].entries())
      send({ session_id: `s${index}`, device, country: "ES", site: `site-${index}` });
    expect(store.detailed().device_breakdown).toEqual({ mobile: 1, desktop: 1, [OTHER]: 2 });
    const combinations = store.status().today.device_combinations;
    expect(combinations).toBeLessThanOrEqual(2 * 10);
    const restored = live({ maxKeys: 2 });
    restored.store.importState(store.exportState());
    expect(restored.store.detailed().device_breakdown).toEqual(store.detailed().device_breakdown);
    expect(restored.store.detailed({ site: "site-0" }).device_breakdown).toEqual({ mobile: 1 });
  });

  test("device combinations are capped at ten times the key cap, plus one fully folded per device", () => {
    const { store, send } = live({ maxKeys: 2 });
    let sent = 0;
    for (const site of ["s1", "s2", "s3", "s4"])
      for (const country of ["ES", "FR", "DE", "IT"])
        for (const device of ["mobile", "desktop", "tablet"]) {
          send({ session_id: `x${sent++}`, site, country, device });
        }
    // 2 device keys and (other): at most 3 (other, other, device) beyond the cap of 20.
    expect(store.status().today.device_combinations).toBeLessThanOrEqual(20 + 3);
    const total = Object.values(store.detailed().device_breakdown).reduce((a, b) => a + b, 0);
    expect(total).toBe(sent);
  });

  test("a snapshot from before devices were kept by site and country restores the totals", () => {
    const { store, send } = live();
    send({ session_id: "a", device: "mobile" });
    const state = store.exportState();
    state.today.devices = [["mobile", 1]];
    const restored = live();
    restored.store.importState(state);
    expect(restored.store.detailed().device_breakdown).toEqual({ mobile: 1 });
  });

  test("at midnight (UTC) today's pageviews start again; active sessions carry on", () => {
    const { clock, store, send } = live({ timeoutMinutes: 30 });
    clock.set(Date.UTC(2026, 5, 1, 23, 59, 0));
    send({ session_id: "a", page: "/late" });
    expect(store.currentStats().total_today).toBe(1);
    clock.set(Date.UTC(2026, 6 - 1, 2, 0, 0, 1));
    expect(store.currentStats()).toEqual({
      total_active: 1,
      total_today: 0,
      pages_visited: {},
      pages_total: 0,
      visitors_right_now: 1,
    });
    send({ session_id: "a", page: "/early" });
    expect(store.currentStats().pages_visited).toEqual({ "/early": 1 });
    expect(store.session("a")?.journey).toEqual(["/late", "/early"]);
  });

  test("visitors in the last minute count distinct sessions seen in the last 60 s", () => {
    const { clock, store, send } = live();
    send({ session_id: "a" });
    send({ session_id: "a" });
    clock.advance(30_000);
    send({ session_id: "b" });
    expect(store.visitorsLastMinute()).toBe(2);
    clock.advance(30_000);
    expect(store.visitorsLastMinute()).toBe(1);
    clock.advance(30_000);
    expect(store.visitorsLastMinute()).toBe(0);
  });
});

describe("alerts", () => {
  const spikes = (alerts: Alert[]) => alerts.filter((alert) => alert.kind === "spike");

  test("reaching the threshold raises one warning with the details", () => {
    const { alerts, send } = live({ threshold: 3 });
    send({ session_id: "a" });
    send({ session_id: "b" });
    expect(spikes(alerts)).toHaveLength(0);
    send({ session_id: "c" });
    send({ session_id: "d" });
    send({ session_id: "e" });
    expect(spikes(alerts)).toHaveLength(1);
    expect(spikes(alerts)[0]).toMatchObject({
      level: "warning",
      details: { visitors_last_minute: 3, threshold: 3, window_seconds: 60 },
    });
  });

  test("it fires again only after falling below 80% of the threshold and the cooldown", () => {
    const { clock, alerts, tick, send } = live({ threshold: 5, cooldownMs: 5 * MINUTE });
    for (const id of ["a", "b", "c", "d", "e"]) send({ session_id: id });
    expect(spikes(alerts)).toHaveLength(1);
    // Still high a minute later (new visitors): no second alert.
    clock.advance(MINUTE);
    for (const id of ["f", "g", "h", "i", "j"]) send({ session_id: id });
    expect(spikes(alerts)).toHaveLength(1);
    // Falls below 80% (4 of 5 is not below; 3 is): the spike ends.
    clock.advance(MINUTE);
    for (const id of ["k", "l", "m"]) send({ session_id: id });
    expect(alerts.filter((alert) => alert.kind === "spike_ended")).toHaveLength(1);
    // Back above the threshold, but within the cooldown: nothing.
    for (const id of ["n", "o"]) send({ session_id: id });
    expect(spikes(alerts)).toHaveLength(1);
    // After the cooldown: it fires again.
    clock.advance(3 * MINUTE);
    tick();
    for (const id of ["p", "q", "r", "s", "t"]) send({ session_id: id });
    expect(spikes(alerts)).toHaveLength(2);
  });

  test("hovering at 80% to 100% of the threshold after a spike does not re-arm it", () => {
    const { clock, alerts, tick, send } = live({ threshold: 5, cooldownMs: 0 });
    for (const id of ["a", "b", "c", "d", "e"]) send({ session_id: id });
    clock.advance(30_000);
    for (const id of ["f", "g", "h", "i"]) send({ session_id: id });
    clock.advance(30_000);
    // a to e have left the window: 4 visitors, 80% of the threshold, not below it.
    tick();
    send({ session_id: "j" });
    expect(alerts.filter((alert) => alert.kind === "spike_ended")).toHaveLength(0);
    expect(spikes(alerts)).toHaveLength(1);
  });

  test("a milestone is announced once as today's pageviews cross 100 and 1,000, and again the next day", () => {
    const { clock, alerts, send } = live({ threshold: 1_000_000 });
    for (let index = 0; index < 1000; index++) send({ session_id: `s${index % 7}` });
    const milestones = () =>
      alerts.filter((alert) => alert.kind === "milestone").map((alert) => alert.details.milestone);
    expect(milestones()).toEqual([100, 1000]);
    clock.set(Date.UTC(2026, 5, 2, 0, 0, 1));
    for (let index = 0; index < 100; index++) send({ session_id: "next-day" });
    expect(milestones()).toEqual([100, 1000, 100]);
  });

  test("after a restart, milestones already passed today are not announced again", () => {
    const before = live({ threshold: 1_000_000 });
    for (let index = 0; index < 150; index++) before.send({ session_id: "a" });
    expect(before.alerts.filter((alert) => alert.kind === "milestone")).toHaveLength(1);

    const clock = new ManualClock(before.clock.now());
    const store = new AnalyticsStore(clock, {
      sessionTimeoutMs: 30 * MINUTE,
      maxActiveSessions: 100,
      maxTrackedKeys: 100,
    });
    store.importState(before.store.exportState());
    const alerts: Alert[] = [];
    const detector = new AlertDetector(store, clock, { threshold: 1_000_000, cooldownMs: 0 });
    const { log } = follow([store, detector], clock, (step) => alerts.push(...step.alerts));
    const event = toVisitorEvent({ type: "pageview", page: "/", session_id: "a" }, clock.now());
    void log.append([event], clock.now());
    expect(store.totalToday()).toBe(151);
    expect(alerts.filter((alert) => alert.kind === "milestone")).toEqual([]);
  });
});

describe("answer budgets", () => {
  const long = (name: string) => `/${name}/${"x".repeat(2000)}`;
  const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

  test("ordinary sessions and events are listed whole, and nothing is reported left out", () => {
    const { store, send } = live();
    for (let page = 0; page < JOURNEY_LIMIT; page++) send({ session_id: "a", page: `/p${page}` });
    send({ session_id: "b" });
    expect(store.activeSessions({}, 10)).toMatchObject({ total_count: 2, truncated: false });
    expect(store.activeSessions({}, 10).sessions[1]?.journey).toHaveLength(JOURNEY_LIMIT);
    const detailed = store.detailed();
    expect(detailed.active_sessions).toHaveLength(2);
    expect(detailed.active_sessions_truncated).toBe(false);
    expect(detailed.recent_events).toHaveLength(RECENT_EVENTS);
    expect(detailed.recent_events_truncated).toBe(false);
  });

  test("a list shows a long journey's newest pages within its budget; the session itself shows all", () => {
    const { store, send } = live();
    for (let page = 0; page < JOURNEY_LIMIT; page++)
      send({ session_id: "a", page: long(`${page}`) });
    const [listed] = store.activeSessions({}, 10).sessions;
    expect(listed?.journey_truncated).toBe(true);
    expect(listed?.journey.at(-1)).toBe(long(`${JOURNEY_LIMIT - 1}`));
    expect(jsonBytes(listed?.journey)).toBeLessThanOrEqual(LIST_JOURNEY_MAX_BYTES);
    expect(store.session("a")?.journey).toHaveLength(JOURNEY_LIMIT);
    expect(store.session("a")?.journey_truncated).toBe(false);
  });

  test("sessions are listed in order while they fit the budget, always at least one", () => {
    const { store, send } = live();
    for (let session = 0; session < 100; session++)
      for (let page = 0; page < 5; page++)
        send({ session_id: `s${session}`, page: long(`${page}`) });
    const listed = store.activeSessions({}, 1000);
    expect(listed.truncated).toBe(true);
    expect(listed.total_count).toBe(100);
    expect(listed.sessions[0]?.session_id).toBe("s99");
    expect(jsonBytes(listed)).toBeLessThanOrEqual(ANSWER_MAX_BYTES);
    expect(store.activeSessions({}, 1000, 1).sessions).toHaveLength(1);
  });

  test("detailed stays within the budget when every page is long", () => {
    const { store, send } = live();
    for (let session = 0; session < 60; session++)
      for (let page = 0; page < 5; page++)
        send({ session_id: `s${session}`, page: long(`${session}-${page}`) });
    const detailed = store.detailed();
    expect(detailed.active_sessions_truncated).toBe(true);
    expect(detailed.recent_events_truncated).toBe(true);
    expect(detailed.recent_events[0]?.session_id).toBe("s59");
    expect(jsonBytes(detailed)).toBeLessThanOrEqual(ANSWER_MAX_BYTES);
    expect(jsonBytes(store.currentStats())).toBeLessThanOrEqual(STATS_MAX_BYTES + 1024);
    expect(store.currentStats().pages_visited[OTHER]).toBeGreaterThan(0);
  });

  test("a breakdown past its budget keeps the most viewed and sums the rest as (other)", () => {
    const { store, send } = live({ maxKeys: 10_000 });
    for (let country = 0; country < 400; country++) {
      const name = `country-${country}-${"c".repeat(40)}`;
      for (let view = 0; view <= (country === 7 ? 5 : 0); view++)
        send({ session_id: `s${country}`, country: name });
    }
    const breakdown = store.detailed().country_breakdown;
    expect(jsonBytes(breakdown)).toBeLessThanOrEqual(BREAKDOWN_MAX_BYTES);
    expect(Object.keys(breakdown)[0]).toBe(`country-7-${"c".repeat(40)}`);
    expect(Object.values(breakdown).reduce((sum, views) => sum + views, 0)).toBe(405);
  });

  test("string sizes are never under JSON's", () => {
    for (const value of ["/plain", 'quo"te\\', "文字", "tab\tnew\nline", "é😀", ""])
      expect(jsonStringBytes(value)).toBeGreaterThanOrEqual(
        Buffer.byteLength(JSON.stringify(value)),
      );
  });
});
