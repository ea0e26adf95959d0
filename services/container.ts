import type { Config } from "../config/index.ts";
import { AlertDetector } from "./alert-detector.ts";
import { AnalyticsStore } from "./analytics-store.ts";
import { type Clock, systemClock } from "./clock.ts";
import { CompatCounters } from "./compat-counters.ts";
import { EventBus } from "./event-bus.ts";
import { Ingestion } from "./ingestion.ts";
import type { Logger } from "./logger.ts";
import { RealtimeHub, TICK_MS } from "./realtime-hub.ts";

export interface Services {
  readonly config: Config;
  readonly apiToken: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly store: AnalyticsStore;
  readonly alerts: AlertDetector;
  readonly hub: RealtimeHub;
  readonly compat: CompatCounters;
  readonly ingestion: Ingestion;
  readonly startedAt: number;
  /** Set once shutdown begins: health answers 503 and new work is refused. */
  draining: boolean;
  startTimers(): void;
  stopTimers(): void;
}

/**
 * Builds the domain. Subscription order on the bus is the order here: the store counts an
 * event before the hub pushes it and the alert detector reads the counts.
 */
export function createServices(
  config: Config,
  apiToken: string,
  logger: Logger,
  clock: Clock = systemClock,
): Services {
  const bus = new EventBus();
  const store = new AnalyticsStore(bus, clock, {
    sessionTimeoutMs: config.sessionTimeoutMs,
    maxActiveSessions: config.limits.maxActiveSessions,
    maxTrackedKeys: config.limits.maxTrackedKeys,
  });
  const compat = new CompatCounters(bus, config.limits.maxCompatKeys);
  const hub = new RealtimeHub(bus, store, clock, logger, {
    maxDashboards: config.limits.maxDashboards,
    maxFramesPerSecond: config.limits.wsMaxFramesPerSecond,
    messagesPerMinute: config.limits.wsMessagesPerMinute,
  });
  const alerts = new AlertDetector(bus, store, clock, {
    threshold: config.alertThreshold,
    cooldownMs: config.alertCooldownMs,
  });
  const ingestion = new Ingestion(bus, store, clock);
  const timers: ReturnType<typeof setInterval>[] = [];

  return {
    config,
    apiToken,
    clock,
    logger,
    bus,
    store,
    alerts,
    hub,
    compat,
    ingestion,
    startedAt: clock.now(),
    draining: false,
    startTimers() {
      timers.push(setInterval(() => hub.flush(), TICK_MS));
      // Sessions time out and the last minute's count falls without any event arriving.
      const sweepMs = Math.min(1000, config.sessionTimeoutMs / 4);
      timers.push(
        setInterval(() => {
          store.expireSessions();
          alerts.checkVisitors();
        }, sweepMs),
      );
    },
    stopTimers() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
  };
}
