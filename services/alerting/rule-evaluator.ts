import type { VisitorEvent } from "../../interfaces/analytics.ts";
import type { AlertRule, StoredAlert } from "../../schemas/alerting.ts";
import { REARM_RATIO } from "../alert-detector.ts";
import { utcDay } from "../clock.ts";
import { windowInsideHours } from "./active-hours.ts";
import { SiteTraffic, type TrafficSeed } from "./site-traffic.ts";

const SPIKE_WINDOW_MS = 60_000;
const MINUTE_MS = 60_000;

type SpikeRule = Extract<AlertRule, { kind: "spike" }>;
type DropRule = Extract<AlertRule, { kind: "drop" }>;
type MilestoneRule = Extract<AlertRule, { kind: "milestone" }>;

/** Where a rule stands: raised (and not ended), when it last was, today's last milestone. */
interface RuleState {
  rule: AlertRule;
  raised: StoredAlert | undefined;
  lastRaisedAt: number;
  milestoneDay: string;
  lastMilestone: number;
}

/** A rule's recent alerts (newest first), to pick up where it stood before a restart. */
export type RuleHistory = (ruleId: number) => readonly StoredAlert[];

/**
 * Evaluates the rules per site on each event and as time passes (`tick`), with the detector's
 * hysteresis and cooldown for each rule: a spike is raised once at its threshold and ends below
 * 80% of it; a drop is raised once under its floor (only when its whole window lies in its active
 * hours) and ends at 125% of the floor; a new raise also needs the cooldown since the last.
 * Each alert's id is built from the rule and the position of the site's last event, the same on
 * every instance of a cluster; an end's id is its raise's with `:ended`.
 */
export class RuleEvaluator {
  private readonly traffic: SiteTraffic;
  private states = new Map<number, RuleState>();
  private readonly bySite = new Map<string, RuleState[]>();

  constructor(seed?: TrafficSeed) {
    this.traffic = new SiteTraffic(seed);
  }

  /** Whether this rule is evaluated already (a rule it does not know starts from its history). */
  knows(ruleId: number): boolean {
    return this.states.has(ruleId);
  }

  /** Takes the rules as they now are; a rule kept keeps its state, a new one reads its history. */
  setRules(rules: readonly AlertRule[], history: RuleHistory, now: number): void {
    const states = new Map<number, RuleState>();
    this.bySite.clear();
    const windows = new Map<string, Set<number>>();
    const pageviewSites = new Set<string>();
    for (const rule of rules) {
      const known = this.states.get(rule.id);
      const state = known ? { ...known, rule } : restoredState(rule, history(rule.id), now);
      states.set(rule.id, state);
      if (!rule.enabled) continue;
      const list = this.bySite.get(rule.site) ?? [];
      list.push(state);
      this.bySite.set(rule.site, list);
      if (rule.kind === "milestone") pageviewSites.add(rule.site);
      else {
        const lengths = windows.get(rule.site) ?? new Set();
        lengths.add(rule.kind === "spike" ? SPIKE_WINDOW_MS : rule.window_minutes * MINUTE_MS);
        windows.set(rule.site, lengths);
      }
    }
    this.states = states;
    this.traffic.watch(windows, pageviewSites, now);
  }

  /** An event applied: spikes and milestones may be raised, drops may end. */
  observe(event: VisitorEvent, position: number, now: number): StoredAlert[] {
    if (!this.traffic.record(event, position, now)) return [];
    const alerts: StoredAlert[] = [];
    for (const state of this.bySite.get(event.site) ?? []) {
      const { rule } = state;
      if (rule.kind === "milestone") {
        if (event.type === "pageview") this.checkMilestone(state, rule, now, alerts);
      } else if (rule.kind === "spike") this.checkSpike(state, rule, now, alerts);
      // An event only raises the count: a drop may end here, and begins on a tick.
      else if (state.raised) this.checkDrop(state, rule, now, alerts);
    }
    return alerts;
  }

  /** Time passed: spikes end, drops begin (no event says so). */
  tick(now: number): StoredAlert[] {
    this.traffic.prune(now);
    const alerts: StoredAlert[] = [];
    for (const states of this.bySite.values()) {
      for (const state of states)
        if (state.rule.kind !== "milestone") this.check(state, now, alerts);
    }
    return alerts;
  }

  /** The alerts in progress (raised, not ended), oldest first. */
  current(): StoredAlert[] {
    const raised: StoredAlert[] = [];
    for (const states of this.bySite.values()) {
      for (const state of states) if (state.raised) raised.push(state.raised);
    }
    return raised.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  }

  private check(state: RuleState, now: number, alerts: StoredAlert[]): void {
    const { rule } = state;
    if (rule.kind === "spike") this.checkSpike(state, rule, now, alerts);
    else if (rule.kind === "drop") this.checkDrop(state, rule, now, alerts);
  }

  private checkSpike(state: RuleState, rule: SpikeRule, now: number, alerts: StoredAlert[]): void {
    const visitors = this.traffic.visitorsSoFar(rule.site, SPIKE_WINDOW_MS, now);
    const details = {
      visitors_last_minute: visitors,
      threshold: rule.threshold,
      window_seconds: 60,
    };
    if (state.raised) {
      if (visitors < rule.threshold * REARM_RATIO) {
        alerts.push(
          ended(
            state,
            now,
            "spike_ended",
            details,
            `Visitor activity on ${rule.site} is back to normal: ${visitors} in the last minute.`,
          ),
        );
      }
      return;
    }
    if (visitors < rule.threshold || now - state.lastRaisedAt < rule.cooldown_seconds * 1000)
      return;
    alerts.push(
      this.raise(
        state,
        now,
        "spike",
        details,
        `High visitor activity on ${rule.site}: ${visitors} visitors in the last minute (threshold ${rule.threshold}).`,
      ),
    );
  }

  private checkDrop(state: RuleState, rule: DropRule, now: number, alerts: StoredAlert[]): void {
    const windowMs = rule.window_minutes * MINUTE_MS;
    const visitors = this.traffic.visitors(rule.site, windowMs, now);
    if (visitors === undefined) return;
    const details = { visitors, floor: rule.floor, window_minutes: rule.window_minutes };
    if (state.raised) {
      if (visitors >= Math.ceil(rule.floor / REARM_RATIO)) {
        alerts.push(
          ended(
            state,
            now,
            "drop_ended",
            details,
            `Traffic on ${rule.site} is back: ${visitors} visitors in the last ${rule.window_minutes} minutes.`,
          ),
        );
      }
      return;
    }
    if (visitors >= rule.floor || now - state.lastRaisedAt < rule.cooldown_seconds * 1000) return;
    if (!windowInsideHours(rule.active_hours, now, windowMs)) return;
    alerts.push(
      this.raise(
        state,
        now,
        "drop",
        details,
        `Traffic drop on ${rule.site}: ${visitors} visitors in the last ${rule.window_minutes} minutes (floor ${rule.floor}).`,
      ),
    );
  }

  private checkMilestone(
    state: RuleState,
    rule: MilestoneRule,
    now: number,
    alerts: StoredAlert[],
  ): void {
    const day = utcDay(now);
    if (state.milestoneDay !== day) {
      state.milestoneDay = day;
      state.lastMilestone = 0;
    }
    const total = this.traffic.pageviewsToday(rule.site, now);
    const reached = highestMilestone(rule.milestones, total);
    if (reached === undefined || reached <= state.lastMilestone) return;
    state.lastMilestone = reached;
    alerts.push({
      id: `rule-${rule.id}:milestone:${day}:${reached}`,
      rule_id: rule.id,
      site: rule.site,
      kind: "milestone",
      level: "info",
      message: `Milestone on ${rule.site}: ${reached.toLocaleString("en-US")} pageviews today.`,
      details: { milestone: reached, total_today: total },
      timestamp: new Date(now).toISOString(),
    });
  }

  private raise(
    state: RuleState,
    now: number,
    kind: "spike" | "drop",
    details: StoredAlert["details"],
    message: string,
  ): StoredAlert {
    const { rule } = state;
    const alert: StoredAlert = {
      id: `rule-${rule.id}:${kind}:${this.traffic.lastPosition(rule.site)}`,
      rule_id: rule.id,
      site: rule.site,
      kind,
      level: "warning",
      message,
      details,
      timestamp: new Date(now).toISOString(),
    };
    state.raised = alert;
    state.lastRaisedAt = now;
    return alert;
  }
}

function ended(
  state: RuleState,
  now: number,
  kind: "spike_ended" | "drop_ended",
  details: StoredAlert["details"],
  message: string,
): StoredAlert {
  const raised = state.raised as StoredAlert;
  state.raised = undefined;
  return {
    id: `${raised.id}:ended`,
    rule_id: state.rule.id,
    site: state.rule.site,
    kind,
    level: "info",
    message,
    details,
    timestamp: new Date(now).toISOString(),
  };
}

/** The highest milestone `total` reached: of the rule's list, or 100, 1,000, 10,000, ... */
function highestMilestone(milestones: readonly number[], total: number): number | undefined {
  if (milestones.length > 0) return milestones.filter((m) => m <= total).at(-1);
  if (total < 100) return undefined;
  let milestone = 100;
  while (milestone * 10 <= total) milestone *= 10;
  return milestone;
}

/** A rule's state from its history: raised if its last raise has no end, its cooldown, its milestone. */
function restoredState(rule: AlertRule, history: readonly StoredAlert[], now: number): RuleState {
  const state: RuleState = {
    rule,
    raised: undefined,
    lastRaisedAt: Number.NEGATIVE_INFINITY,
    milestoneDay: utcDay(now),
    lastMilestone: 0,
  };
  const lastRaise = history.find((alert) => alert.kind === "spike" || alert.kind === "drop");
  if (lastRaise) {
    state.lastRaisedAt = Date.parse(lastRaise.timestamp);
    const endedAfter = history.some((alert) => alert.id === `${lastRaise.id}:ended`);
    if (!endedAfter && lastRaise.kind === rule.kind) state.raised = lastRaise;
  }
  const milestone = history.find(
    (alert) => alert.kind === "milestone" && alert.timestamp.slice(0, 10) === state.milestoneDay,
  );
  if (milestone) state.lastMilestone = Number(milestone.details.milestone) || 0;
  return state;
}
