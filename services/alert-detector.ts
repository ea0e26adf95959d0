import type { Alert } from "../interfaces/analytics.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import { type Clock, utcDay } from "./clock.ts";
import type { EventStep, Projection, Step } from "./pipeline/step.ts";

export interface AlertDetectorOptions {
  threshold: number;
  cooldownMs: number;
}

/** What a snapshot keeps, so a restart during a spike does not announce it again. */
export interface AlertDetectorState {
  spiking: boolean;
  /** ms since the epoch of the last spike announced; null before the first. */
  lastSpikeAt: number | null;
  /** Today's last milestone as announced (absent in snapshots written before it was kept). */
  lastMilestone?: Alert | null;
}

/** Re-arming needs the count below this share of the threshold (hysteresis). */
export const REARM_RATIO = 0.8;
const WINDOW_SECONDS = 60;

/**
 * Watches visitors in the last minute and today's pageviews, and raises alerts (on the step):
 * a spike once when the threshold is reached, its end when the count falls below 80% of it, and
 * a milestone each time today's pageviews cross 100, 1,000, 10,000, ...
 */
export class AlertDetector implements Projection {
  readonly name = "alerts";
  /** A spike ends as time passes, with no event. */
  readonly changesOnTicks = true;
  private spiking = false;
  private lastSpikeAt = Number.NEGATIVE_INFINITY;
  private nextMilestone = 100;
  private milestoneDay = "";
  /** The milestone day's bounds: an event within them needs no date formatted. */
  private milestoneDayStartsAt = 0;
  private milestoneDayEndsAt = 0;
  private lastMilestone: Alert | undefined;

  constructor(
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly options: AlertDetectorOptions,
  ) {
    this.milestonesFromStore();
  }

  /** Milestones the store's count already passed today are not announced again. */
  private milestonesFromStore(): void {
    const now = this.clock.now();
    this.milestoneDay = this.dayOf(now);
    this.nextMilestone = 100;
    this.lastMilestone = undefined;
    const totalToday = this.store.totalToday();
    while (this.nextMilestone <= totalToday) this.nextMilestone *= 10;
    // Passed before: a snapshot's alert says when (importState), else it is "as of now".
    if (this.nextMilestone > 100) {
      this.lastMilestone = this.milestoneAlert(this.nextMilestone / 10, totalToday, now);
    }
  }

  /** Runs after the store's own `apply` (the projections' order): it reads the counts. */
  apply(step: EventStep): void {
    this.checkVisitors(step);
    if (step.committed.event.type === "pageview") this.checkMilestone(step);
  }

  /** The count falls as time passes, without any event arriving. */
  tick(step: Step): void {
    this.checkVisitors(step);
  }

  exportState(): AlertDetectorState {
    return {
      spiking: this.spiking,
      lastSpikeAt: Number.isFinite(this.lastSpikeAt) ? this.lastSpikeAt : null,
      lastMilestone: this.lastMilestone ?? null,
    };
  }

  /** Restores a snapshot's spike and cooldown; the next check announces only what changed since. */
  importState(state: AlertDetectorState | undefined): void {
    this.milestonesFromStore();
    if (!state) return;
    this.spiking = state.spiking;
    this.lastSpikeAt = state.lastSpikeAt ?? Number.NEGATIVE_INFINITY;
    const saved = state.lastMilestone;
    // The saved one only if it is today's latest (the log replayed after it may have passed more).
    if (
      saved &&
      saved.timestamp.slice(0, 10) === this.milestoneDay &&
      saved.details.milestone === this.lastMilestone?.details.milestone
    ) {
      this.lastMilestone = saved;
    }
  }

  /**
   * What a dashboard that connects now should be told: the spike in progress, if any (with the
   * current count, timestamped when it began), and today's last milestone, oldest first.
   */
  current(): Alert[] {
    const now = this.clock.now();
    const alerts: Alert[] = [];
    const today = new Date(now).toISOString().slice(0, 10);
    if (this.lastMilestone && this.lastMilestone.timestamp.slice(0, 10) === today) {
      alerts.push(this.lastMilestone);
    }
    if (this.spiking) {
      const visitors = this.store.visitorsLastMinute();
      const { threshold } = this.options;
      const startedAt = Number.isFinite(this.lastSpikeAt) ? this.lastSpikeAt : now;
      alerts.push({
        kind: "spike",
        level: "warning",
        message: `High visitor activity in progress: ${visitors} visitors in the last minute (threshold ${threshold}).`,
        details: { visitors_last_minute: visitors, threshold, window_seconds: WINDOW_SECONDS },
        timestamp: new Date(startedAt).toISOString(),
      });
    }
    return alerts;
  }

  private checkVisitors(step: Step): void {
    const { now } = step;
    const visitors = this.store.visitorsLastMinute(now);
    const { threshold, cooldownMs } = this.options;
    const details = {
      visitors_last_minute: visitors,
      threshold,
      window_seconds: WINDOW_SECONDS,
    };
    if (this.spiking) {
      if (visitors < threshold * REARM_RATIO) {
        this.spiking = false;
        this.publish(step, {
          kind: "spike_ended",
          level: "info",
          message: `Visitor activity is back to normal: ${visitors} in the last minute.`,
          details,
        });
      }
      return;
    }
    if (visitors >= threshold && now - this.lastSpikeAt >= cooldownMs) {
      this.spiking = true;
      this.lastSpikeAt = now;
      this.publish(step, {
        kind: "spike",
        level: "warning",
        message: `High visitor activity detected: ${visitors} visitors in the last minute (threshold ${threshold}).`,
        details,
      });
    }
  }

  private checkMilestone(step: Step): void {
    const { now } = step;
    if (now < this.milestoneDayStartsAt || now >= this.milestoneDayEndsAt) {
      const day = this.dayOf(now);
      if (day !== this.milestoneDay) {
        this.milestoneDay = day;
        this.nextMilestone = 100;
      }
    }
    const totalToday = this.store.totalToday(now);
    if (totalToday < this.nextMilestone) return;
    const milestone = this.nextMilestone;
    while (this.nextMilestone <= totalToday) this.nextMilestone *= 10;
    this.lastMilestone = this.milestoneAlert(milestone, totalToday, now);
    step.alerts.push(this.lastMilestone);
  }

  /** The UTC day of `now`, whose bounds it keeps. */
  private dayOf(now: number): string {
    const day = utcDay(now);
    this.milestoneDayStartsAt = Date.parse(`${day}T00:00:00Z`);
    this.milestoneDayEndsAt = this.milestoneDayStartsAt + 86_400_000;
    return day;
  }

  private milestoneAlert(milestone: number, totalToday: number, now: number): Alert {
    return {
      kind: "milestone",
      level: "info",
      message: `Milestone: ${milestone.toLocaleString("en-US")} pageviews today.`,
      details: { milestone, total_today: totalToday },
      timestamp: new Date(now).toISOString(),
    };
  }

  /** Timestamped with the `now` of the check, so a spike's replay (from lastSpikeAt) matches it. */
  private publish(step: Step, alert: Omit<Alert, "timestamp">): void {
    step.alerts.push({ ...alert, timestamp: new Date(step.now).toISOString() });
  }
}
