import { RedisClient } from "bun";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import {
  type CommitListener,
  CommitTotals,
  type CommittedEvent,
  type EventLog,
  StorageUnavailableError,
} from "../pipeline/event-log.ts";
import { DEFAULT_STREAM, positionOf } from "./stream-entries.ts";
import { redisPersistence, streamAfter } from "./stream-reads.ts";
import { type ArchivedRange, StreamTail, type StreamTailOptions } from "./stream-tail.ts";
import { withTimeout } from "./with-timeout.ts";

export interface RedisEventLogOptions extends Partial<StreamTailOptions> {
  url: string;
  stream?: string;
  /** REDIS_MIN_REPLICAS: each append also waits for `WAIT n`; fewer replicas in time is a 503. */
  minReplicas?: number;
  replicaTimeoutMs?: number;
  /** An append Redis has not answered in this long is refused (503). */
  commandTimeoutMs?: number;
  /** While degraded, Redis is pinged this often so health recovers without traffic. */
  probeIntervalMs?: number;
}

interface Pending {
  events: readonly VisitorEvent[];
  receivedAt: number;
  resolve: (committed: readonly CommittedEvent[]) => void;
  reject: (error: Error) => void;
}

/**
 * No offline queue: while Redis is unreachable an append fails at once (503), never waits. The
 * client reconnects by itself (50 ms doubling to 2 s between tries); retries practically without
 * end, as giving up would leave the log unable to recover by itself.
 */
const CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  connectionTimeout: 2000,
  autoReconnect: true,
  maxRetries: 1_000_000,
};

/**
 * The event log on one Redis Stream shared by every instance. Appends made during one event-loop
 * turn go to Redis together (group commit; the next group forms while one is in flight). An
 * entry's id is `0-<position>`: XADD's `0-*` takes the sequence after the stream's last generated
 * id, which Redis keeps even when XTRIM removed every entry, so positions stay consecutive from 1
 * across every instance with no counter of ours to drift from the stream.
 * A tail (stream-tail.ts) delivers every instance's events to the subscribers in stream order.
 * `append` resolves only once Redis accepted its events (and `WAIT n` answered, when asked) and
 * the tail delivered them here, so the answer's stats include them.
 */
export class RedisEventLog implements EventLog {
  private pending: Pending[] = [];
  private readonly degradedListeners: ((degraded: boolean) => void)[] = [];
  private readonly commitTimers: ((seconds: number, requests: number) => void)[] = [];
  private readonly totals = new CommitTotals();
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private writerOk = true;
  private wasDegraded = false;
  private probing = false;
  private closed = false;
  private readonly tail: StreamTail;
  private readonly stream: string;
  private readonly minReplicas: number;
  private readonly replicaTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly probeIntervalMs: number;

  private constructor(
    private readonly writer: RedisClient,
    reader: RedisClient,
    options: RedisEventLogOptions,
  ) {
    this.stream = options.stream ?? DEFAULT_STREAM;
    this.minReplicas = options.minReplicas ?? 0;
    this.replicaTimeoutMs = options.replicaTimeoutMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    this.probeIntervalMs = options.probeIntervalMs ?? 250;
    const tailOptions = {
      batchSize: options.batchSize ?? 1000,
      recentEvents: options.recentEvents ?? 4096,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 10_000,
    };
    this.tail = new StreamTail(reader, this.stream, tailOptions, () => this.reportDegraded());
  }

  /** Connects the writer and the tail's own connection (a blocked XREAD holds it). */
  static async connect(options: RedisEventLogOptions): Promise<RedisEventLog> {
    const writer = new RedisClient(options.url, CLIENT_OPTIONS);
    const reader = new RedisClient(options.url, CLIENT_OPTIONS);
    await Promise.all([writer.connect(), reader.connect()]);
    return new RedisEventLog(writer, reader, options);
  }

  /**
   * Starts delivering what follows `position` (the last replayed) to the subscribers; a gap the
   * stream was trimmed of before the tail read it comes from `archived` (reported and skipped
   * without it).
   */
  startTail(position: number, archived?: ArchivedRange): void {
    this.tail.start(position, archived);
  }

  /** True while Redis cannot be written or tailed; clears by itself when it answers again. */
  get degraded(): boolean {
    return !this.writerOk || !this.tail.ok;
  }

  onDegradedChange(listener: (degraded: boolean) => void): void {
    this.degradedListeners.push(listener);
  }

  subscribe(listener: CommitListener): () => void {
    return this.tail.subscribe(listener);
  }

  onSubscriberError(handler: (error: unknown) => void): void {
    this.tail.onSubscriberError(handler);
  }

  /** Told of a gap in the stream (trimmed before this instance read it) or an unreadable entry. */
  onTailError(handler: (error: Error) => void): void {
    this.tail.onTailError(handler);
  }

  append(events: readonly VisitorEvent[], receivedAt: number): Promise<readonly CommittedEvent[]> {
    if (events.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.reject(new StorageUnavailableError("the event log is closed"));
    return new Promise((resolve, reject) => {
      this.pending.push({ events, receivedAt, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what waits now; resolves once Redis has answered every append made so far. */
  async commit(): Promise<void> {
    while (this.writing || this.pending.length > 0) {
      this.flush();
      await this.writing;
    }
  }

  /** The position of the last event delivered to this instance's subscribers. */
  lastPosition(): number {
    return this.tail.position;
  }

  /** Recently delivered events after `position` (a gap where memory no longer holds them). */
  readFrom(position: number): Iterable<CommittedEvent> {
    return this.tail.recentAfter(position);
  }

  /** Every event the stream holds after `position`, in order; throws at a trimmed gap. */
  readFromAsync(position: number, pageSize = 1000): AsyncGenerator<CommittedEvent> {
    return streamAfter(this.writer, this.stream, position, pageSize);
  }

  /** Redis's AOF settings, for the start-up warning (redisPersistence). */
  persistence(): Promise<{ appendonly: string; appendfsync: string } | undefined> {
    return redisPersistence(this.writer);
  }

  /** Group-commit figures since start, for /api/status (SQLite's shape, and the tail's position). */
  stats() {
    return { ...this.totals.stats(this.degraded), tail_position: this.tail.position };
  }

  /** Sends what waits, stops the tail and closes both connections; later appends are refused. */
  async close(): Promise<void> {
    await this.commit();
    this.closed = true;
    await this.tail.close();
    this.writer.close();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      // What arrived while Redis answered is the next group.
      if (this.pending.length > 0) this.flush();
    });
  }

  /**
   * One XADD per event, every one of the group written to the socket at once (auto-pipelining):
   * Redis runs them in order in one turn of its loop, with one AOF write. Then one WAIT for all.
   */
  private async write(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const sent = batch.map(({ events, receivedAt }) => {
      const received = String(receivedAt);
      return events.map((event) =>
        this.writer.send("XADD", [this.stream, "0-*", "r", received, "e", JSON.stringify(event)]),
      );
    });
    const replicas =
      this.minReplicas > 0
        ? this.writer.send("WAIT", [String(this.minReplicas), String(this.replicaTimeoutMs)])
        : Promise.resolve(this.minReplicas);
    let acked = 0;
    try {
      acked = (await this.timed(replicas)) as number;
    } catch {
      // Unreachable: each append's own XADDs say so below.
    }
    const short =
      acked < this.minReplicas
        ? new StorageUnavailableError(`${acked} of ${this.minReplicas} replicas answered WAIT`)
        : undefined;
    await Promise.all(
      batch.map((waiting, index) => this.settle(waiting, sent[index] ?? [], short)),
    );
    const ms = performance.now() - started;
    this.totals.commits++;
    this.totals.commitMs += ms;
    for (const listener of this.commitTimers) listener(ms / 1000, batch.length);
  }

  /** Told how long each XADD group took, WAIT included (for /metrics), with the appends it held. */
  onCommitTimed(listener: (seconds: number, requests: number) => void): void {
    this.commitTimers.push(listener);
  }

  private async settle(waiting: Pending, sent: Promise<unknown>[], short: Error | undefined) {
    let ids: string[];
    try {
      ids = (await this.timed(Promise.all(sent))) as string[];
      if (short) throw short;
      this.setWriterOk(true);
    } catch (cause) {
      // Some of its events may be in the stream (counted, at most once each): the client may retry.
      this.setWriterOk(false);
      waiting.reject(
        cause instanceof StorageUnavailableError ? cause : new StorageUnavailableError(cause),
      );
      return;
    }
    this.totals.events += ids.length;
    const committed = waiting.events.map((event, index) => ({
      position: positionOf(ids[index] as string),
      event,
      receivedAt: waiting.receivedAt,
    }));
    this.tail.expect(committed, waiting.resolve, waiting.reject);
  }

  private timed<T>(work: Promise<T>): Promise<T> {
    const ms = this.commandTimeoutMs;
    return withTimeout(work, ms, `Redis did not answer in ${ms} ms`);
  }

  private setWriterOk(ok: boolean): void {
    this.writerOk = ok;
    this.reportDegraded();
    if (!ok) void this.probe();
  }

  private reportDegraded(): void {
    const degraded = this.degraded;
    if (degraded === this.wasDegraded) return;
    this.wasDegraded = degraded;
    for (const listener of this.degradedListeners) listener(degraded);
  }

  /** While the writer fails, pings, so `degraded` clears without traffic (the client reconnects). */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    while (!this.writerOk && !this.closed) {
      await Bun.sleep(this.probeIntervalMs);
      try {
        await this.timed(this.writer.send("PING", []));
        this.setWriterOk(true);
      } catch {
        // Still unreachable: again on the next interval.
      }
    }
    this.probing = false;
  }
}
