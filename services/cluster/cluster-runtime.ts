import { hostname } from "node:os";
import { RedisClient, SQL } from "bun";
import type { Config } from "../../config/index.ts";
import type { Logger } from "../logger.ts";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { readArchived } from "./archived-events.ts";
import { ARCHIVERS_GROUP, Archiver, archivedThrough } from "./archiver.ts";
import { migratePostgres } from "./postgres-schema.ts";
import { PostgresSnapshots } from "./postgres-snapshots.ts";
import { RedisEventLog } from "./redis-event-log.ts";
import { decodeEntry, idOf, positionOf, type StreamEntry } from "./stream-entries.ts";
import { StreamGapError } from "./stream-tail.ts";

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

/** For operators (GET /metrics): how far this instance and the archive are behind the stream. */
export interface ClusterMetrics {
  /** Events in the stream this instance has not applied yet (head − applied position). */
  lagEvents: number;
  /** Now − the receive time of the oldest event not applied yet; 0 when none. */
  lagMs: number;
  /** Events in the stream not archived in Postgres yet (head − archive position). */
  archiveLagEvents: number;
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
  private figures = { head: 0, archived: 0, oldestUnapplied: 0, oldestReceivedAt: 0 };
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
    const replayedEvents = await pipeline.replayAsync(this.history(from), from, (replayed) => {
      if (performance.now() - lastProgress < PROGRESS_MS) return;
      lastProgress = performance.now();
      this.logger.info({ replayed_events: replayed }, "replaying the event stream");
    });
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
    const applied = this.appliedPosition;
    const { head: readHead, archived, oldestUnapplied, oldestReceivedAt } = this.figures;
    const head = Math.max(readHead, applied);
    const lagEvents = head - applied;
    const lagMs =
      lagEvents > 0 && oldestUnapplied > 0 ? Math.max(0, Date.now() - oldestReceivedAt) : 0;
    return { lagEvents, lagMs, archiveLagEvents: Math.max(0, head - archived) };
  }

  /** Reads the stream's head, the group's archived-through position and the oldest unapplied event. */
  private async refreshFigures(): Promise<void> {
    const applied = this.appliedPosition;
    const stream = this.config.streamKey;
    const info = (await withTimeout(this.redis.send("XINFO", ["STREAM", stream]), 1000)) as Record<
      string,
      unknown
    >;
    const head = positionOf(String(info["last-generated-id"] ?? "0-0"));
    const archived = await withTimeout(archivedThrough(this.redis, stream, ARCHIVERS_GROUP), 1000);
    let oldestUnapplied = 0;
    let oldestReceivedAt = 0;
    if (head > applied) {
      const range = [stream, `(${idOf(applied)}`, "+", "COUNT", "1"];
      const [entry] = (await withTimeout(this.redis.send("XRANGE", range), 1000)) as StreamEntry[];
      if (entry) {
        const oldest = decodeEntry(entry);
        oldestUnapplied = oldest.position;
        oldestReceivedAt = oldest.receivedAt;
      }
    }
    this.figures = { head, archived, oldestUnapplied, oldestReceivedAt };
  }

  /**
   * Every event after `position`: the archive first, then the stream; a gap in the stream (trimmed
   * before this instance read it) is read from the archive again.
   */
  private async *history(position: number): AsyncGenerator<CommittedEvent> {
    let at = position;
    for await (const committed of readArchived(this.sql, at)) {
      yield committed;
      at = committed.position;
    }
    while (true) {
      try {
        for await (const committed of this.log.readFromAsync(at)) {
          yield committed;
          at = committed.position;
        }
        return;
      } catch (error) {
        if (!(error instanceof StreamGapError)) throw error;
        const before = at;
        for await (const committed of readArchived(this.sql, at)) {
          yield committed;
          at = committed.position;
        }
        if (at === before) {
          throw new Error(
            `events ${error.from} to ${error.next - 1} are neither in the stream nor archived`,
          );
        }
      }
    }
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

function withTimeout<T>(work: PromiseLike<T>, ms: number): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}
