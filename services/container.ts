import type { Config } from "../config/index.ts";
import { AlertDetector } from "./alert-detector.ts";
import { AnalyticsQuery } from "./analytics-query/analytics-query.ts";
import { AnalyticsStore } from "./analytics-store.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { ClusterRuntime } from "./cluster/cluster-runtime.ts";
import { ClusterVisits } from "./cluster/cluster-visits.ts";
import { PostgresHistory } from "./cluster/postgres-history.ts";
import { SharedSalts } from "./cluster/shared-salt.ts";
import { CompatCounters } from "./compat-counters.ts";
import type { SaltSource } from "./enrich/visitor-id.ts";
import { Lifecycle } from "./lifecycle.ts";
import { LocalSnapshots } from "./local-snapshots.ts";
import type { Logger } from "./logger.ts";
import { oneAtATime } from "./one-at-a-time.ts";
import type { EventLog } from "./pipeline/event-log.ts";
import { Ingestion } from "./pipeline/ingestion.ts";
import { Pipeline, type Projection, type Step } from "./pipeline/pipeline.ts";
import { RealtimeHub, TICK_MS } from "./realtime-hub.ts";
import { restoreFromSqlite } from "./restore.ts";
import type { SnapshotTurns } from "./storage/snapshots.ts";
import { Storage } from "./storage/storage.ts";
import { VisitRollup } from "./visit-rollup.ts";

export interface Services {
  readonly config: Config;
  readonly apiToken: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The durable store (SQLite): the event log, snapshots, archived sessions, history. In cluster
   * mode, this instance's own copy of the sessions (every instance applies every event).
   */
  readonly database: Storage;
  /** The event log ingestion appends to and the pipeline follows: SQLite's, or the Redis Stream. */
  readonly log: ServiceLog;
  /** Present in cluster mode (REDIS_URL and DATABASE_URL): the shared stream, archive, snapshots. */
  readonly cluster?: ClusterRuntime;
  /** Cluster mode: the visitor-id salt of the day, shared through Redis (the enricher's). */
  readonly salts?: SaltSource;
  /** The live state in memory: sessions, today's counters, the last minute. */
  readonly live: AnalyticsStore;
  /** The live sessions' rows in `sessions`, flushed on the archive timer and before each query. */
  readonly visits: VisitRollup;
  /** Visitor metrics over any range, goals and sites (docs/analytics-query.md). */
  readonly analytics: AnalyticsQuery;
  readonly alerts: AlertDetector;
  readonly compat: CompatCounters;
  readonly hub: RealtimeHub;
  readonly pipeline: Pipeline;
  readonly ingestion: Ingestion;
  readonly lifecycle: Lifecycle;
  readonly startedAt: number;
  /** What start-up restored: events replayed from the log after the snapshot. */
  readonly restored: Restored;
  /**
   * The asynchronous part of start-up, before serving: in cluster mode the live state is restored
   * from Postgres and the stream, then the stream is tailed. Nothing to do otherwise.
   */
  start(): Promise<void>;
  /**
   * Brings the tables the query endpoint reads up to the last event: writes every visit
   * as it stands now (the live sessions' rows, the ended sessions'), to SQLite or in cluster mode
   * to Postgres, and copies the logged events into SQLite's `query_events`; resolved once done (a
   * failed visits' write logged and retried with the next). Reads of `sessions` and of the query
   * endpoint await it first.
   */
  catchUpReads(): Promise<void>;
  /** Saves a snapshot at once, in one transaction (and one event-loop turn). */
  saveSnapshot(): void;
  /**
   * Saves a snapshot over many event-loop turns (the timer's way; tests may pace it). Resolves false
   * when skipped or when it failed (logged).
   */
  saveSnapshotInTurns(turns?: SnapshotTurns): Promise<boolean>;
}

export interface Restored {
  fromSnapshot: boolean;
  replayedEvents: number;
  ms: number;
}

/** The log as the services use it: appends, replay, health and figures for /api/status. */
export type ServiceLog = EventLog & {
  readonly degraded: boolean;
  stats(): Record<string, unknown>;
  /** Told how long each commit (SQLite) or XADD group (Redis) took: /metrics' latency. */
  onCommitTimed(listener: (seconds: number, requests: number) => void): void;
};

/**
 * Builds the domain: the log, the projections that follow it, the reactions, the timers. With a
 * `cluster`, the log is its Redis Stream and `start()` restores the state (see Services.start).
 */
export function createServices(
  config: Config,
  apiToken: string,
  logger: Logger,
  clock: Clock = systemClock,
  cluster?: ClusterRuntime,
): Services {
  const database = Storage.open({
    dataDir: config.dataDir,
    durability: config.storage.durability,
    busyTimeoutMs: config.storage.busyTimeoutMs,
    retentionDays: config.storage.retentionDays,
    propValuesPerDay: config.limits.propValuesPerDay,
    onIncident: (message, details) => logger.error(details, message),
  });
  const live = new AnalyticsStore(clock, {
    sessionTimeoutMs: config.sessionTimeoutMs,
    maxActiveSessions: config.limits.maxActiveSessions,
    maxTrackedKeys: config.limits.maxTrackedKeys,
    maxTrackedKeyBytes: config.limits.maxTrackedKeyBytes,
    statsMaxPages: config.limits.statsMaxPages,
    maxLiveStateBytes: config.limits.maxLiveStateBytes,
    answerMaxBytes: config.limits.answerMaxBytes,
  });
  // Cluster mode: visits, history and the query module are Postgres's, shared by every instance.
  const postgres = cluster
    ? new PostgresHistory(cluster.sql, {
        clock,
        analytics: {
          beforeRead: () => catchUpReads(),
          retentionDays: config.storage.retentionDays,
        },
      })
    : undefined;
  const clusterVisits = postgres && new ClusterVisits(postgres, logger);
  if (postgres) database.history.readFrom(postgres.reader);
  const visits = new VisitRollup(live, (records) =>
    clusterVisits ? clusterVisits.add(records) : database.writeVisits(records),
  );
  const compat = new CompatCounters(config.limits.maxCompatKeys);
  const alerts = new AlertDetector(live, clock, {
    threshold: config.alertThreshold,
    cooldownMs: config.alertCooldownMs,
  });
  // Ended sessions wait here to be archived; replayed too, so a crash loses none (the write is
  // idempotent).
  const recordEnded = (step: Step) => {
    for (const ended of step.ended) {
      if (clusterVisits) clusterVisits.addEnded(ended);
      else database.recordEndedSession(ended);
    }
  };
  const sessionHistory: Projection = {
    name: "session-history",
    apply: recordEnded,
    tick: recordEnded,
  };
  // The projections, in the order each event (and tick) is applied: the alerts read the live
  // counts, the session history what the others ended. A new stateful projection goes here.
  const projections: Projection[] = [live, visits, compat, alerts, sessionHistory];
  const pipeline = new Pipeline(projections, (stage, err) =>
    logger.error({ err, stage }, "pipeline stage failed"),
  );
  const log: ServiceLog = cluster?.log ?? database.log;
  (cluster?.log ?? database.log).onSubscriberError((err) =>
    logger.error({ err }, "event log subscriber failed"),
  );

  const restored: Restored = cluster
    ? { fromSnapshot: false, replayedEvents: 0, ms: 0 }
    : restoreFromSqlite(database, pipeline, logger);
  // The snapshot's sessions may have changed after the last flush before the stop.
  if (!cluster) visits.markAllActive(clock.now());
  /**
   * Every visit as it stands now in `sessions` (the live ones, then those that ended), and every
   * logged event in `query_events` (SQLite's log only: a cluster's query reads Postgres's events).
   */
  const catchUpReads = async () => {
    visits.flush();
    database.flushEndedSessions();
    if (!cluster) database.queryEvents.copy();
    await clusterVisits?.write();
  };
  // The timer's: the same, a slice a turn, so a burst's 100,000 visits or events never stall the
  // event loop; one at a time, so a backlog longer than the timer's second is not walked twice.
  const catchUpReadsInSlices = oneAtATime(async () => {
    await visits.flushInSlices();
    await database.flushEndedSessionsInSlices();
    if (!cluster) await database.queryEvents.copyInSlices();
    await clusterVisits?.write();
  });
  const analytics =
    postgres?.analytics ??
    new AnalyticsQuery(() => database.db, clock, {
      beforeRead: catchUpReads,
      retentionDays: config.storage.retentionDays,
    });
  // In cluster mode nothing is delivered before start() replays and starts the tail.
  pipeline.follow(log);

  const hub = new RealtimeHub(live, clock, logger, {
    maxDashboards: config.limits.maxDashboards,
    maxFramesPerSecond: config.limits.wsMaxFramesPerSecond,
    messagesPerMinute: config.limits.wsMessagesPerMinute,
    detailedStatsPerMinute: config.limits.wsDetailedStatsPerMinute,
    totalUnsentBytes: config.limits.wsTotalBackpressureBytes,
  });
  hub.replayAlertsFrom(() => alerts.current());
  hub.resumeFrom(log);
  pipeline.react(hub);

  const salts = cluster ? new SharedSalts(cluster.redis, clock, logger) : undefined;
  const ingestion = new Ingestion(log, live, clock, salts && (() => salts.ready()));
  const snapshots = new LocalSnapshots(pipeline, database, clock, logger);
  const saveSnapshot = () => snapshots.saveNow();
  const saveSnapshotInTurns = (turns?: SnapshotTurns) => snapshots.saveInTurns(turns);
  const lifecycle = new Lifecycle(
    {
      realtimeTickMs: TICK_MS,
      // Sessions time out and the last minute's count falls without any event arriving.
      clockTickMs: Math.min(1000, config.sessionTimeoutMs / 4),
      archiveIntervalMs: 1000,
      snapshotIntervalMs: config.storage.snapshotIntervalMs,
      cleanupIntervalMs: config.cleanupIntervalMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
    },
    {
      flushRealtime: () => hub.flush(),
      tick: () => pipeline.tick(clock.now()),
      archive: () => {
        catchUpReadsInSlices().catch((err) =>
          logger.error({ err }, "catching the read tables up failed"),
        );
        void cluster?.probePostgres();
      },
      // One instance writes the cluster's snapshot each interval (the others find it fresh).
      snapshotInTurns: () =>
        cluster
          ? cluster.saveSnapshot(pipeline, config.storage.snapshotIntervalMs / 2)
          : saveSnapshotInTurns(),
      cleanup: () => logger.info(database.cleanup(clock.now()), "cleanup"),
      closeDashboards: () => hub.closeAll(),
      appliedPosition: () => pipeline.position,
      async closeStorage() {
        if (cluster) await cluster.log.commit();
        database.log.commit();
        try {
          visits.flush();
        } catch (err) {
          logger.error({ err }, "writing the active sessions failed");
        }
        await clusterVisits?.write();
        // Let the requests whose events just committed be answered before the snapshot.
        await new Promise((resolve) => setImmediate(resolve));
        if (cluster) {
          salts?.stop();
          await cluster.saveSnapshot(pipeline, 0);
          await cluster.close();
        } else saveSnapshot();
        database.close();
      },
    },
    logger,
  );

  if (!cluster) logger.info(restored, "live state restored");
  return {
    config,
    apiToken,
    clock,
    logger,
    database,
    log,
    cluster,
    salts,
    live,
    visits,
    analytics,
    alerts,
    compat,
    hub,
    pipeline,
    ingestion,
    lifecycle,
    restored,
    startedAt: clock.now(),
    catchUpReads,
    saveSnapshot,
    saveSnapshotInTurns,
    async start() {
      if (!cluster) return;
      Object.assign(restored, await cluster.start(pipeline));
      await salts?.start();
      visits.markAllActive(clock.now());
      logger.info(restored, "live state restored");
    },
  };
}
