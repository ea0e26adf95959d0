import { hostname } from "node:os";
import { RedisClient, SQL } from "bun";
import type { Config } from "../../config/index.ts";
import type { Logger } from "../logger.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { readArchived } from "./archived-events.ts";
import { Archiver } from "./archiver.ts";
import { eventsAfter } from "./events-after.ts";
import { migratePostgres } from "./postgres-schema.ts";
import { PostgresSnapshots } from "./postgres-snapshots.ts";
import { RedisEventLog } from "./redis-event-log.ts";
import { type ClusterMetrics, lagOf, NO_FIGURES, readStreamFigures } from "./stream-lag.ts";
import { withTimeout } from "./with-timeout.ts";

export type { ClusterMetrics } from "./stream-lag.ts";

type ClusterConfig = NonNullable<Config["cluster"]>;

/** Start-up logs replay progress this often, so a long catch-up is never silent. */
const PROGRESS_MS = 1000;
/** The stream's head and the archive position are read this often for the metrics. */
const FIGURES_MS = 1000;

/** What /api/status shows of the cluster. */
export interface ClusterStatus {
  instance: string;
  stream_position: number;
  applied_position: number;
  lag_events: number;
  lag_ms: number;
  archive_position: number;
  archive_lag_events: number;
  postgres: "ok" | "unreachable";
}

/**
 * An instance's part in a cluster: the Redis Stream it appends to and tails, the Postgres holding
 * archived events and snapshots, the archiver it contributes to the consumer group.
 */
export class ClusterRuntime {
  /** Unique per process: its name in the archivers' consumer group. */
  readonly instance = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private archiver: Archiver | undefined;
  private postgresOk = true;
  private closed = false;
  /** Read from Redis every FIGURES_MS (metrics() answers synchronously, at scrape time). */
  private figures = NO_FIGURES;
  private figuresTimer: Timer | undefined;
  private pipeline: Pipeline | undefined;

  private constructor(
    readonly config: ClusterConfig,
    readonly log: RedisEventLog,
    /** Commands of our own (salt, rate limit, status), apart from the log's connections. */
    readonly redis: RedisClient,
    readonly sql: SQL,
    private readonly snapshots: PostgresSnapshots,
    private readonly logger: Logger,
  ) {}

  /** Connects to Postgres (migrating it) and Redis; warns when Redis may lose acknowledged events. */
  static async connect(config: ClusterConfig, logger: Logger): Promise<ClusterRuntime> {
    const sql = new SQL(config.databaseUrl, { max: 5, connectionTimeout: 5 });
    try {
      const applied = await migratePostgres(sql);
      if (applied.length > 0) logger.info({ versions: applied }, "postgres migrated");
      const snapshots = await PostgresSnapshots.open(sql);
      const log = await RedisEventLog.connect({
        url: config.redisUrl,
        stream: config.streamKey,
        minReplicas: config.minReplicas,
      });
      const redis = new RedisClient(config.redisUrl, {
        enableOfflineQueue: false,
        autoReconnect: true,
        maxRetries: 1_000_000,
      });
      await redis.connect();
      const runtime = new ClusterRuntime(config, log, redis, sql, snapshots, logger);
      await runtime.checkPersistence();
      return runtime;
    } catch (error) {
      await sql.close().catch(() => {});
      throw new Error(`cannot connect the cluster's stores: ${describe(error)}`);
    }
  }

  /** True while Postgres did not answer the last probe. */
  get postgresDown(): boolean {
    return !this.postgresOk;
  }

  /**
   * Restores the live state: the latest snapshot, the archived events after it, then the stream
   * (what was trimmed from it is read from the archive); then tails the stream from there and joins
   * the archivers.
   */
  async start(pipeline: Pipeline) {
    this.pipeline = pipeline;
    const started = performance.now();
    const snapshot = await this.snapshots.latest();
    if (snapshot) pipeline.importState(snapshot.state, snapshot.position);
    const from = pipeline.position;
    this.logger.info({ from_snapshot: snapshot !== undefined, after_event_id: from }, "replaying");
    let lastProgress = performance.now();
    const replayedEvents = await pipeline.replayAsync(
      eventsAfter(this.sql, this.log, from),
      from,
      (replayed) => {
        if (performance.now() - lastProgress < PROGRESS_MS) return;
        lastProgress = performance.now();
        this.logger.info({ replayed_events: replayed }, "replaying the event stream");
      },
    );
    this.log.onTailError((error) => this.logger.error({ err: error }, "stream tail"));
    // The stream may be trimmed past what the tail has read (a late instance catching up).
    this.log.startTail(pipeline.position, (after, before) => readArchived(this.sql, after, before));
    this.archiver = await Archiver.start({
      redisUrl: this.config.redisUrl,
      sql: this.sql,
      consumer: this.instance,
      stream: this.config.streamKey,
      claimIdleMs: this.config.claimIdleMs,
      trimMarginMs: this.config.trimMarginMs,
      onError: (error) => this.logger.warn({ err: error }, "archiving failed; retrying"),
    });
    await this.refreshFigures().catch(() => {});
    this.figuresTimer = setInterval(() => void this.refreshFigures().catch(() => {}), FIGURES_MS);
    return {
      fromSnapshot: snapshot !== undefined,
      replayedEvents,
      ms: Math.round(performance.now() - started),
    };
  }

  /**
   * Stream lag of this instance and archive lag, from the last reading of Redis (at most a second
   * old) and the tail's own position. `lagMs` is measured from the oldest event unapplied at that
   * reading: while the instance is behind, it may be up to a second high.
   */
  metrics(): ClusterMetrics {
    return lagOf(this.figures, this.appliedPosition);
  }

  private async refreshFigures(): Promise<void> {
    const applied = this.appliedPosition;
    this.figures = await readStreamFigures(this.redis, this.config.streamKey, applied);
  }

  /**
   * Saves the live state to Postgres when this instance holds the snapshot lock and the newest
   * snapshot is older than `minAgeMs`: one instance writes for all.
   */
  async saveSnapshot(pipeline: Pipeline, minAgeMs: number): Promise<boolean> {
    const position = pipeline.position;
    if (position === 0 || pipeline.isHeld) return false;
    try {
      const saved = await this.snapshots.save(
        position,
        // Read synchronously once the lock is held: the state at `position` exactly, provided no
        // event was applied since; otherwise skipped and tried at the next interval.
        () => {
          if (pipeline.position !== position) throw new StaleSnapshot();
          return JSON.stringify(pipeline.exportState());
        },
        minAgeMs,
      );
      this.setPostgresOk(true);
      return saved;
    } catch (error) {
      if (error instanceof StaleSnapshot) return false;
      this.setPostgresOk(false);
      this.logger.error({ err: error }, "snapshot to postgres failed");
      return false;
    }
  }

  /** Pings Postgres (health reads the answer). */
  async probePostgres(): Promise<void> {
    if (this.closed) return;
    try {
      await withTimeout(this.sql`SELECT 1`, 2000);
      this.setPostgresOk(true);
    } catch {
      this.setPostgresOk(false);
    }
  }

  /** The last position applied to the live state (the pipeline's; a snapshot may hold it a moment). */
  private get appliedPosition(): number {
    return this.pipeline?.position ?? this.log.lastPosition();
  }

  /** Read afresh from Redis (the last reading when it does not answer). */
  async status(appliedPosition: number): Promise<ClusterStatus> {
    await this.refreshFigures().catch(() => {});
    const { lagEvents, lagMs, archiveLagEvents } = this.metrics();
    return {
      instance: this.instance,
      stream_position: appliedPosition + lagEvents,
      applied_position: appliedPosition,
      lag_events: lagEvents,
      lag_ms: lagMs,
      archive_position: this.figures.archived,
      archive_lag_events: archiveLagEvents,
      postgres: this.postgresOk ? "ok" : "unreachable",
    };
  }

  /** Sends what waits to Redis, stops archiving and tailing, closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.figuresTimer);
    const steps = [
      () => this.archiver?.stop(),
      () => this.log.close(),
      () => this.redis.close(),
      () => this.sql.close({ timeout: 1 }),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        this.logger.error({ err: error }, "closing the cluster's connections");
      }
    }
  }

  private async checkPersistence(): Promise<void> {
    if (this.config.minReplicas > 0) return;
    const persistence = await this.log.persistence();
    if (!persistence) {
      this.logger.warn(
        {},
        "cannot read Redis's persistence settings (CONFIG GET refused): make sure appendonly is yes and appendfsync always, or set REDIS_MIN_REPLICAS",
      );
      return;
    }
    if (persistence.appendonly !== "yes" || persistence.appendfsync !== "always") {
      this.logger.warn(
        persistence,
        "Redis may lose acknowledged events when it stops abruptly: set appendonly yes and appendfsync always, or use replicas with REDIS_MIN_REPLICAS",
      );
    }
  }

  private setPostgresOk(ok: boolean): void {
    if (ok === this.postgresOk) return;
    this.postgresOk = ok;
    if (ok) this.logger.info({}, "postgres reachable again");
    else this.logger.error({}, "postgres unreachable");
  }
}

class StaleSnapshot extends Error {}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
