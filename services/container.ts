import type { Config } from "../config/index.ts";
import { AlertDetector } from "./alert-detector.ts";
import { AnalyticsStore } from "./analytics-store.ts";
import { type Clock, systemClock } from "./clock.ts";
import { CompatCounters } from "./compat-counters.ts";
import { EventBus } from "./event-bus.ts";
import { Ingestion } from "./ingestion.ts";
import type { Logger } from "./logger.ts";
import { RealtimeHub, TICK_MS } from "./realtime-hub.ts";
import type { Session } from "./session-tracker.ts";
import type { SnapshotTurns } from "./storage/snapshots.ts";
import { type LiveState, Storage } from "./storage/storage.ts";

export interface Services {
  readonly config: Config;
  readonly apiToken: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly storage: Storage;
  readonly store: AnalyticsStore;
  readonly alerts: AlertDetector;
  readonly hub: RealtimeHub;
  readonly compat: CompatCounters;
  readonly ingestion: Ingestion;
  readonly startedAt: number;
  /** What start-up restored: events replayed from the log after the snapshot. */
  readonly restored: { fromSnapshot: boolean; replayedEvents: number; ms: number };
  /** Set once shutdown begins: health answers 503 and new work is refused. */
  draining: boolean;
  startTimers(): void;
  stopTimers(): void;
  /** Saves a snapshot at once, in one transaction (and one event-loop turn). */
  saveSnapshot(): void;
  /**
   * Saves a snapshot over many event-loop turns (the timer's way; tests may pace it). Resolves false
   * when skipped or when it failed (logged).
   */
  saveSnapshotInTurns(turns?: SnapshotTurns): Promise<boolean>;
  /** Commits what is waiting, saves a snapshot and closes the database. */
  closeStorage(): Promise<void>;
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
  const storage = Storage.open({
    dataDir: config.dataDir,
    durability: config.storage.durability,
    busyTimeoutMs: config.storage.busyTimeoutMs,
    retentionDays: config.storage.retentionDays,
    onIncident: (message, details) => logger.error(details, message),
  });
  const store = new AnalyticsStore(bus, clock, {
    sessionTimeoutMs: config.sessionTimeoutMs,
    maxActiveSessions: config.limits.maxActiveSessions,
    maxTrackedKeys: config.limits.maxTrackedKeys,
    maxTrackedKeyBytes: config.limits.maxTrackedKeyBytes,
    statsMaxPages: config.limits.statsMaxPages,
    maxLiveStateBytes: config.limits.maxLiveStateBytes,
    answerMaxBytes: config.limits.answerMaxBytes,
  });
  const compat = new CompatCounters(bus, config.limits.maxCompatKeys);
  // Subscribed before the replay: sessions that ended after the last archive write are archived
  // again (the write is idempotent), so a crash loses none.
  bus.on("session.ended", ({ session, reason }) => {
    const endedAt =
      reason === "timeout"
        ? Date.parse(session.last_activity) + config.sessionTimeoutMs
        : clock.now();
    storage.recordEndedSession(session, reason, endedAt);
  });
  const restored = restoreLiveState(storage, store, compat, logger);
  const hub = new RealtimeHub(bus, store, clock, logger, {
    maxDashboards: config.limits.maxDashboards,
    maxFramesPerSecond: config.limits.wsMaxFramesPerSecond,
    messagesPerMinute: config.limits.wsMessagesPerMinute,
    detailedStatsPerMinute: config.limits.wsDetailedStatsPerMinute,
    totalUnsentBytes: config.limits.wsTotalBackpressureBytes,
  });
  const alerts = new AlertDetector(bus, store, clock, {
    threshold: config.alertThreshold,
    cooldownMs: config.alertCooldownMs,
  });
  const alertState = storage.restoredAlertState();
  if (alertState) alerts.importState(alertState);
  hub.replayAlertsFrom(() => alerts.current());
  const ingestion = new Ingestion(bus, store, storage.log, clock);
  const timers: ReturnType<typeof setInterval>[] = [];
  const liveState = () => ({
    store: store.exportState(),
    compat: compat.exportState(),
    alerts: alerts.exportState(),
  });
  const guarded = (what: string, work: () => void) => () => {
    try {
      work();
    } catch (err) {
      logger.error({ err }, `${what} failed`);
    }
  };
  const saveSnapshot = guarded("snapshot", () => storage.saveSnapshot(liveState(), clock.now()));
  // The timer's snapshot is written over many event-loop turns while events keep arriving: it is
  // given a copy of the live state taken now, in one turn, so it saves exactly what the last
  // committed event left.
  const saveSnapshotInTurns = async (turns?: SnapshotTurns) => {
    try {
      return await storage.saveSnapshotInTurns(snapshotCopy(liveState()), clock.now(), turns);
    } catch (err) {
      logger.error({ err }, "snapshot failed");
      return false;
    }
  };

  logger.info(restored, "live state restored");
  return {
    config,
    apiToken,
    clock,
    logger,
    bus,
    storage,
    store,
    alerts,
    hub,
    compat,
    ingestion,
    restored,
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
      timers.push(
        setInterval(
          guarded("session archive", () => storage.flushEndedSessions()),
          1000,
        ),
      );
      timers.push(setInterval(() => void saveSnapshotInTurns(), config.storage.snapshotIntervalMs));
      timers.push(
        setInterval(
          guarded("cleanup", () => {
            const result = storage.cleanup(clock.now());
            logger.info(result, "cleanup");
          }),
          config.cleanupIntervalMs,
        ),
      );
    },
    stopTimers() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
    saveSnapshot,
    saveSnapshotInTurns,
    async closeStorage() {
      storage.log.commit();
      // Let the requests whose events just committed publish them before the snapshot.
      await new Promise((resolve) => setImmediate(resolve));
      saveSnapshot();
      storage.close();
    },
  };
}

/**
 * The live state is plain data except its sessions, which events change in place: those are copied
 * (their journeys too), so a snapshot written over several turns sees none of the later changes.
 */
function snapshotCopy(state: LiveState): LiveState {
  const { sessions } = state.store;
  const copy = (session: Session): Session => ({ ...session, journey: session.journey.slice() });
  return {
    ...state,
    store: {
      ...state.store,
      sessions: {
        active: sessions.active.map(copy),
        recentlyEnded: sessions.recentlyEnded.map(({ session, endedAt }) => ({
          session: copy(session),
          endedAt,
        })),
      },
    },
  };
}

/** Replay logs its progress this often, so a long start-up is never silent. */
const REPLAY_PROGRESS_MS = 1000;

/** The latest snapshot, then every event logged after it, through the same code as live events. */
function restoreLiveState(
  storage: Storage,
  store: AnalyticsStore,
  compat: CompatCounters,
  logger: Logger,
) {
  const started = performance.now();
  const snapshot = storage.latestSnapshot();
  if (snapshot) {
    store.importState(snapshot.state.store);
    compat.importState(snapshot.state.compat);
  }
  const afterEventId = snapshot?.lastEventId ?? 0;
  logger.info(
    { from_snapshot: snapshot !== undefined, after_event_id: afterEventId },
    "replaying the event log",
  );
  let replayedEvents = 0;
  let lastProgress = performance.now();
  for (const { event, receivedAt } of storage.log.since(afterEventId)) {
    store.apply(event, receivedAt);
    compat.apply(event);
    replayedEvents++;
    if (replayedEvents % 10_000 === 0 && performance.now() - lastProgress >= REPLAY_PROGRESS_MS) {
      lastProgress = performance.now();
      logger.info(
        { replayed_events: replayedEvents, ms: Math.round(lastProgress - started) },
        "replaying the event log",
      );
    }
  }
  return {
    fromSnapshot: snapshot !== undefined,
    replayedEvents,
    ms: Math.round(performance.now() - started),
  };
}
