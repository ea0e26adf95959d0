import { describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { AlertRule, StoredAlert } from "../../schemas/alerting.ts";
import { activePeriodStart, windowInsideHours } from "../../services/alerting/active-hours.ts";
import { RuleEvaluator } from "../../services/alerting/rule-evaluator.ts";
import { ManualClock } from "../../services/clock.ts";

const MINUTE = 60_000;
const AT_NINE = Date.UTC(2026, 5, 1, 9, 0, 0);
const stamps = { created_at: "", updated_at: "" };

const spike = (id: number, site: string, threshold: number, cooldown_seconds = 60): AlertRule => ({
  id,
  site,
  kind: "spike",
  enabled: true,
  threshold,
  cooldown_seconds,
  ...stamps,
});
const drop = (
  id: number,
  site: string,
  floor: number,
  window_minutes: number,
  active_hours: { from: string; to: string } | null = null,
  cooldown_seconds = 0,
): AlertRule => ({
  id,
  site,
  kind: "drop",
  enabled: true,
  floor,
  window_minutes,
  active_hours,
  cooldown_seconds,
  ...stamps,
});

function event(
  site: string,
  session: string,
  type: VisitorEvent["type"] = "pageview",
): VisitorEvent {
  return {
    type,
    page: "/",
    session_id: session,
    site,
    country: "GB",
    device: "desktop",
    metadata: {},
    timestamp: null,
    received_at: "",
  };
}

/** An evaluator on a manual clock, fed events at consecutive positions. */
function harness(rules: AlertRule[], history: StoredAlert[] = [], start = AT_NINE) {
  const clock = new ManualClock(start);
  // Every rule starts knowing the site had no traffic before (a seed of nothing, but whole).
  const evaluator = new RuleEvaluator({ visits: () => [], pageviewsToday: () => 0 });
  evaluator.setRules(rules, (id) => history.filter((a) => a.rule_id === id), clock.now());
  let position = 0;
  return {
    clock,
    evaluator,
    visit: (site: string, session: string, type?: VisitorEvent["type"]) =>
      evaluator.observe(event(site, session, type), ++position, clock.now()),
    visits(site: string, count: number, prefix = "v") {
      const alerts: StoredAlert[] = [];
      for (let i = 0; i < count; i++) alerts.push(...this.visit(site, `${prefix}${i}`));
      return alerts;
    },
    tick: (ms = 0) => {
      clock.advance(ms);
      return evaluator.tick(clock.now());
    },
  };
}

const kinds = (alerts: StoredAlert[]) => alerts.map((alert) => alert.kind);

describe("spike rules", () => {
  test("a site's spike rule raises once at its threshold, with the site and the rule", () => {
    const h = harness([spike(1, "shop", 3)]);
    expect(h.visits("shop", 2)).toEqual([]);
    const [raised, ...more] = h.visits("shop", 3, "w");
    expect(more).toEqual([]);
    expect(raised).toMatchObject({
      kind: "spike",
      level: "warning",
      rule_id: 1,
      site: "shop",
      details: { visitors_last_minute: 3, threshold: 3, window_seconds: 60 },
      timestamp: new Date(AT_NINE).toISOString(),
    });
    expect(h.evaluator.current()).toEqual([raised as StoredAlert]);
  });

  test("per-site overrides: another site's traffic counts only for its own rules", () => {
    const h = harness([spike(1, "shop", 3), spike(2, "blog", 100)]);
    expect(h.visits("blog", 5)).toEqual([]);
    expect(h.visits("elsewhere", 50)).toEqual([]);
    expect(kinds(h.visits("shop", 3))).toEqual(["spike"]);
  });

  test("hysteresis: it ends below 80% of the threshold, not while hovering at it", () => {
    const h = harness([spike(1, "shop", 5, 0)]);
    h.visits("shop", 5);
    // Four of the five leave the minute at once: 80% would be 4, so one left is below it.
    h.clock.advance(30 * 1000);
    h.visits("shop", 1, "late");
    expect(h.tick(31 * 1000)).toMatchObject([{ kind: "spike_ended" }]);
    expect(h.evaluator.current()).toEqual([]);
  });

  test("a spike that only dips to 80% does not end, and is not raised twice", () => {
    const h = harness([spike(1, "shop", 5, 0)]);
    h.visits("shop", 5);
    h.clock.advance(50 * 1000);
    h.visits("shop", 4, "again");
    // The first five leave: four remain (80%, not below it).
    expect(h.tick(11 * 1000)).toEqual([]);
    expect(h.visits("shop", 2, "more")).toEqual([]);
  });

  test("cooldown: a second spike within the cooldown waits for it, then is raised on a tick", () => {
    const h = harness([spike(1, "shop", 2, 300)]);
    expect(kinds(h.visits("shop", 2))).toEqual(["spike"]);
    expect(kinds(h.tick(2 * MINUTE))).toEqual(["spike_ended"]);
    expect(h.visits("shop", 2, "b")).toEqual([]);
    h.clock.advance(2 * MINUTE + 59 * 1000);
    expect(h.visits("shop", 2, "c")).toEqual([]);
    // Five minutes after the first raise, the count still above the threshold: no event needed.
    expect(h.tick(1000)).toMatchObject([{ kind: "spike", timestamp: "2026-06-01T09:05:00.000Z" }]);
  });

  test("an end's id is its raise's with :ended, and raises are keyed by the site's log position", () => {
    const h = harness([spike(7, "shop", 2, 0)]);
    const [raised] = h.visits("shop", 2);
    expect(raised?.id).toBe("rule-7:spike:2");
    const [ended] = h.tick(2 * MINUTE);
    expect(ended?.id).toBe("rule-7:spike:2:ended");
  });
});

describe("drop rules", () => {
  test("fewer visitors than the floor over the window raise a drop on a tick, once", () => {
    const h = harness([drop(1, "shop", 3, 30)]);
    h.visits("shop", 4);
    expect(h.tick(29 * MINUTE)).toEqual([]);
    const [raised] = h.tick(2 * MINUTE);
    expect(raised).toMatchObject({
      kind: "drop",
      level: "warning",
      site: "shop",
      details: { visitors: 0, floor: 3, window_minutes: 30 },
    });
    expect(h.tick(MINUTE)).toEqual([]);
    expect(h.tick(60 * MINUTE)).toEqual([]);
    expect(h.evaluator.current()).toEqual([raised as StoredAlert]);
  });

  test("an event alone never raises a drop; traffic back at 125% of the floor ends it", () => {
    const h = harness([drop(1, "shop", 4, 10)]);
    expect(kinds(h.tick(11 * MINUTE))).toEqual(["drop"]);
    expect(h.visits("shop", 4)).toEqual([]);
    expect(kinds(h.visits("shop", 1, "fifth"))).toEqual(["drop_ended"]);
  });

  test("the time window: a quiet night is not a drop; from 08:00 the first check is at 08:30", () => {
    const night = Date.UTC(2026, 5, 1, 2, 0, 0);
    const h = harness([drop(1, "shop", 5, 30, { from: "08:00", to: "22:00" })], [], night);
    expect(h.tick(MINUTE)).toEqual([]);
    h.clock.set(Date.UTC(2026, 5, 1, 8, 0, 0));
    expect(h.tick(0)).toEqual([]);
    expect(h.tick(29 * MINUTE)).toEqual([]);
    expect(h.tick(MINUTE)).toMatchObject([{ kind: "drop", timestamp: "2026-06-01T08:30:00.000Z" }]);
  });

  test("after 22:00 no new drop is raised", () => {
    const h = harness(
      [drop(1, "shop", 5, 30, { from: "08:00", to: "22:00" })],
      [],
      Date.UTC(2026, 5, 1, 21, 0, 0),
    );
    h.visits("shop", 6);
    h.clock.set(Date.UTC(2026, 5, 1, 22, 0, 0));
    expect(h.tick(0)).toEqual([]);
    expect(h.tick(60 * MINUTE)).toEqual([]);
  });

  test("a rule that has not seen a whole window yet waits (no seed: cluster mode)", () => {
    const clock = new ManualClock(AT_NINE);
    const evaluator = new RuleEvaluator();
    evaluator.setRules([drop(1, "shop", 1, 30)], () => [], clock.now());
    clock.advance(29 * MINUTE);
    expect(evaluator.tick(clock.now())).toEqual([]);
    clock.advance(MINUTE);
    expect(kinds(evaluator.tick(clock.now()))).toEqual(["drop"]);
  });

  test("instances that load a rule at different positions raise its drop under the same id (cluster mode)", () => {
    const clock = new ManualClock(AT_NINE);
    const early = new RuleEvaluator();
    const late = new RuleEvaluator();
    early.setRules([drop(1, "shop", 1, 10)], () => [], clock.now());
    // The same log applied by both; the late instance reads the rule only after it.
    for (let position = 1; position <= 3; position++) {
      clock.advance(MINUTE);
      for (const evaluator of [early, late]) {
        evaluator.observe(event("shop", `s${position}`), position, clock.now());
        evaluator.observe(event("blog", `b${position}`), position + 100, clock.now());
      }
    }
    late.setRules([drop(1, "shop", 1, 10)], () => [], clock.now());
    clock.advance(10 * MINUTE);
    const [fromEarly] = early.tick(clock.now());
    const [fromLate] = late.tick(clock.now());
    expect(fromEarly).toMatchObject({ kind: "drop", id: "rule-1:drop:3" });
    expect(fromLate?.id).toBe(fromEarly?.id as string);
  });

  test("cooldown: after a drop ends, a new one waits for the cooldown since the last", () => {
    const h = harness([drop(1, "shop", 1, 5, null, 600)]);
    expect(kinds(h.tick(5 * MINUTE))).toEqual(["drop"]);
    expect(kinds(h.visits("shop", 2))).toEqual(["drop_ended"]);
    expect(h.tick(5 * MINUTE)).toEqual([]);
    expect(kinds(h.tick(5 * MINUTE))).toEqual(["drop"]);
  });

  test("a drop raised before a restart is in progress after it, and not raised again", () => {
    const raised: StoredAlert = {
      id: "rule-1:drop:9",
      rule_id: 1,
      site: "shop",
      kind: "drop",
      level: "warning",
      message: "Traffic drop",
      details: { visitors: 0, floor: 1, window_minutes: 5 },
      timestamp: new Date(AT_NINE - MINUTE).toISOString(),
    };
    const h = harness([drop(1, "shop", 1, 5)], [raised]);
    expect(h.evaluator.current()).toEqual([raised]);
    expect(h.tick(10 * MINUTE)).toEqual([]);
    expect(h.visits("shop", 2)).toMatchObject([{ kind: "drop_ended", id: "rule-1:drop:9:ended" }]);
  });
});

describe("milestone rules", () => {
  test("a site's pageviews today cross its milestones, each announced once, a day at a time", () => {
    const h = harness([
      { id: 3, site: "shop", kind: "milestone", enabled: true, milestones: [3, 5], ...stamps },
    ]);
    expect(h.visits("shop", 2)).toEqual([]);
    expect(h.visits("shop", 1, "x")).toMatchObject([
      {
        kind: "milestone",
        id: "rule-3:milestone:2026-06-01:3",
        details: { milestone: 3, total_today: 3 },
      },
    ]);
    expect(h.visits("other", 10)).toEqual([]);
    expect(kinds(h.visits("shop", 3, "y"))).toEqual(["milestone"]);
    expect(h.visits("shop", 10, "z")).toEqual([]);
    h.clock.advance(24 * 60 * MINUTE);
    expect(kinds(h.visits("shop", 3, "next-day"))).toEqual(["milestone"]);
  });
});

describe("active hours", () => {
  test("hours that span midnight began the evening before", () => {
    const hours = { from: "22:00", to: "06:00" };
    expect(activePeriodStart(hours, Date.UTC(2026, 5, 2, 3, 0))).toBe(Date.UTC(2026, 5, 1, 22, 0));
    expect(activePeriodStart(hours, Date.UTC(2026, 5, 2, 12, 0))).toBeUndefined();
    expect(windowInsideHours(hours, Date.UTC(2026, 5, 1, 22, 20), 30 * MINUTE)).toBe(false);
    expect(windowInsideHours(hours, Date.UTC(2026, 5, 1, 22, 30), 30 * MINUTE)).toBe(true);
    expect(windowInsideHours(null, 0, 30 * MINUTE)).toBe(true);
  });
});
