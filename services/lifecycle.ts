import type { Server } from "bun";
import { IdleCollection } from "./idle-collection.ts";
import type { Logger } from "./logger.ts";

/** How often the idle collection looks whether a burst of events is over (ms). */
const IDLE_CHECK_MS = 2_000;

export interface LifecycleOptions {
  /** The realtime hub's coalescing tick (ms). */
  realtimeTickMs: number;
  /** The clock's tick: sessions expire, windows slide, alerts re-check (ms). */
  clockTickMs: number;
  archiveIntervalMs: number;
  snapshotIntervalMs: number;
  cleanupIntervalMs: number;
  shutdownTimeoutMs: number;
}

/** The work the timers and shutdown do, each a call into the services. */
export interface LifecycleWork {
  flushRealtime(): void;
  tick(): void;
  archive(): void;
  snapshotInTurns(): Promise<unknown>;
  cleanup(): void;
  /** Tells every dashboard the server is going and closes them. */
  closeDashboards(): void;
  /** Commits what is waiting, saves a snapshot and closes the database. */
  closeStorage(): Promise<void>;
  /** The position of the last event the projections applied (for the idle collection). */
  appliedPosition?(): number;
}

/** Timers, draining and shutdown: when things happen, not what they do. */
export class Lifecycle {
  private readonly drain = new AbortController();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: LifecycleOptions,
    private readonly work: LifecycleWork,
    private readonly logger: Logger,
  ) {}

  /** Aborted once shutdown begins: health answers 503 and new work is refused. */
  get draining(): AbortSignal {
    return this.drain.signal;
  }

  beginDraining(): void {
    this.drain.abort();
  }

  startTimers(): void {
    const { options, work } = this;
    this.every(options.realtimeTickMs, "realtime", () => work.flushRealtime());
    this.every(options.clockTickMs, "tick", () => work.tick());
    this.every(options.archiveIntervalMs, "session archive", () => work.archive());
    const idle = work.appliedPosition ? new IdleCollection(() => Bun.gc(true)) : undefined;
    this.every(options.snapshotIntervalMs, "snapshot", () => {
      work.snapshotInTurns().then(
        (written) => written === true && idle?.snapshotWritten(),
        (err) => this.logger.error({ err }, "snapshot failed"),
      );
    });
    this.every(options.cleanupIntervalMs, "cleanup", () => work.cleanup());
    if (idle) {
      this.every(IDLE_CHECK_MS, "idle collection", () => idle.check(work.appliedPosition?.() ?? 0));
    }
  }

  stopTimers(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /**
   * Drains, tells and closes the dashboards, lets in-flight requests finish (for at most the
   * shutdown timeout), then stops the timers and closes the storage. Once, however often called.
   */
  shutdown(servers: readonly Server<unknown>[]): Promise<void> {
    this.stopping ??= (async () => {
      this.beginDraining();
      this.work.closeDashboards();
      const graceful = Promise.all(servers.map((server) => server.stop(false)));
      await Promise.race([graceful, Bun.sleep(this.options.shutdownTimeoutMs)]);
      await Promise.all(servers.map((server) => server.stop(true)));
      this.stopTimers();
      await this.work.closeStorage();
    })();
    return this.stopping;
  }

  /** A timer whose failure is logged, never thrown into the loop. */
  private every(ms: number, what: string, work: () => void): void {
    this.timers.push(
      setInterval(() => {
        try {
          work();
        } catch (err) {
          this.logger.error({ err }, `${what} failed`);
        }
      }, ms),
    );
  }
}
