import type { Alert } from "../interfaces/analytics.ts";
import type { AnalyticsStore } from "./analytics-store.ts";
import type { Clock } from "./clock.ts";
import type { EventBus } from "./event-bus.ts";

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
 * Watches visitors in the last minute and today's pageviews, and publishes alerts on the bus:
 * a spike once when the threshold is reached, its end when the count falls below 80% of it, and
 * a milestone each time today's pageviews cross 100, 1,000, 10,000, ...
 */
export class AlertDetector {
  private spiking = false;
  private lastSpikeAt = Number.NEGATIVE_INFINITY;
  private nextMilestone = 100;
  private milestoneDay = "";
  private lastMilestone: Alert | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    private readonly options: AlertDetectorOptions,
  ) {
    // After a restart, milestones already passed today are not announced again.
    this.milestoneDay = new Date(clock.now()).toISOString().slice(0, 10);
    const totalToday = store.totalToday();
    while (this.nextMilestone <= totalToday) this.nextMilestone *= 10;
    // Passed before this start: a snapshot's alert says when (importState), else it is "as of now".
    if (this.nextMilestone > 100) {
      this.lastMilestone = this.milestoneAlert(this.nextMilestone / 10, totalToday);
    }
    bus.on("visitor.event", ({ event }) => {
      this.checkVisitors();
      if (event.type === "pageview") this.checkMilestone();
    });
  }

  exportState(): AlertDetectorState {
    return {
      spiking: this.spiking,
      lastSpikeAt: Number.isFinite(this.lastSpikeAt) ? this.lastSpikeAt : null,
      lastMilestone: this.lastMilestone ?? null,
    };
  }

  /** Restores a snapshot's spike and cooldown; the next check announces only what changed since. */
  importState(state: AlertDetectorState): void {
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

  /** Also called on a timer: the count falls as time passes, without any event arriving. */
  checkVisitors(): void {
    const now = this.clock.now();
    const visitors = this.store.visitorsLastMinute();
    const { threshold, cooldownMs } = this.options;
    const details = {
      visitors_last_minute: visitors,
      threshold,
      window_seconds: WINDOW_SECONDS,
    };
    if (this.spiking) {
      if (visitors < threshold * REARM_RATIO) {
        this.spiking = false;
        this.publish(
          {
            kind: "spike_ended",
            level: "info",
            message: `Visitor activity is back to normal: ${visitors} in the last minute.`,
            details,
          },
          now,
        );
      }
      return;
    }
    if (visitors >= threshold && now - this.lastSpikeAt >= cooldownMs) {
      this.spiking = true;
      this.lastSpikeAt = now;
      this.publish(
        {
          kind: "spike",
          level: "warning",
          message: `High visitor activity detected: ${visitors} visitors in the last minute (threshold ${threshold}).`,
          details,
        },
        now,
      );
    }
  }

  private checkMilestone(): void {
    const now = this.clock.now();
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.milestoneDay) {
      this.milestoneDay = day;
      this.nextMilestone = 100;
    }
    const totalToday = this.store.totalToday();
    if (totalToday < this.nextMilestone) return;
    const milestone = this.nextMilestone;
    while (this.nextMilestone <= totalToday) this.nextMilestone *= 10;
    this.lastMilestone = this.milestoneAlert(milestone, totalToday);
    this.bus.emit("alert", this.lastMilestone);
  }

  private milestoneAlert(milestone: number, totalToday: number): Alert {
    return {
      kind: "milestone",
      level: "info",
      message: `Milestone: ${milestone.toLocaleString("en-US")} pageviews today.`,
      details: { milestone, total_today: totalToday },
      timestamp: new Date(this.clock.now()).toISOString(),
    };
  }

  /** Timestamped with the `now` of the check, so a spike's replay (from lastSpikeAt) matches it. */
  private publish(alert: Omit<Alert, "timestamp">, now: number): void {
    this.bus.emit("alert", { ...alert, timestamp: new Date(now).toISOString() });
  }
}
