import { RedisClient, type SQL } from "bun";
import { PostgresEventProps } from "./postgres-event-props.ts";
import { archiveEvents, recordArchivePosition } from "./postgres-schema.ts";
import {
  DEFAULT_STREAM,
  decodeEntry,
  entriesOf,
  idOf,
  positionOf,
  type StreamEntry,
} from "./stream-entries.ts";

export interface ArchiverOptions {
  redisUrl: string;
  sql: SQL;
  /** This instance's name in the consumer group (unique per instance). */
  consumer: string;
  stream?: string;
  group?: string;
  batchSize?: number;
  /** A batch another consumer left unacknowledged this long is claimed (its consumer is dead). */
  claimIdleMs?: number;
  /** Archived events stay in the stream at least this long (instances catching up read them). */
  trimMarginMs?: number;
  trimIntervalMs?: number;
  /** Another consumer idle this long with nothing pending is removed from the group (it is gone). */
  pruneIdleMs?: number;
  /** A custom event property's distinct values kept per site and UTC day (PROP_VALUES_PER_DAY). */
  propValuesPerDay?: number;
  onError?: (error: unknown) => void;
}

/** The consumer group the instances archive through. */
export const ARCHIVERS_GROUP = "footfall-archivers";

const BLOCK_MS = 1000;
const CHECKPOINT_SPACING_MS = 1000;

/**
 * Removes a consumer from the group only while it has nothing pending, in one step: a batch it
 * held would otherwise be left pending with no owner. -1 when it has some.
 */
const DELETE_CONSUMER_IF_IDLE = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])`;

/**
 * Archives the stream into Postgres through a consumer group, so instances share the work: each
 * batch read (XREADGROUP) is inserted idempotently (the position is the key), then acknowledged
 * (XACK), and the group's archived-through position recorded in Postgres. A batch left pending by
 * a dead instance is claimed by another (XAUTOCLAIM). The stream is trimmed (XTRIM MINID) only
 * behind what is archived and acknowledged, and only once that has been so for `trimMarginMs`.
 * Each process joins under a name of its own: it leaves the group when it stops with nothing
 * pending, and consumers idle for `pruneIdleMs` with nothing pending are removed.
 */
export class Archiver {
  private stopped = false;
  private running: Promise<void> | undefined;
  /** After a failure (and at start): this consumer's own unacknowledged batches come first. */
  private retryOwn = true;
  private nextClaim = 0;
  private nextTrim = 0;
  /** Archived-through positions as seen over time, oldest first: trimming waits out the margin. */
  private checkpoints: { position: number; at: number }[] = [];
  private trimmedThrough = 0;
  readonly totals = { archived: 0, claimed: 0, batches: 0, props: 0, pruned: 0 };
  private readonly props: PostgresEventProps;
  private readonly stream: string;
  private readonly group: string;
  private readonly batchSize: string;
  private readonly claimIdleMs: number;
  private readonly trimMarginMs: number;
  private readonly trimIntervalMs: number;
  private readonly pruneIdleMs: number;

  private constructor(
    /** Blocking group reads only (closing it ends one at once); everything else on `redis`. */
    private readonly reader: RedisClient,
    private readonly redis: RedisClient,
    private readonly options: ArchiverOptions,
  ) {
    this.stream = options.stream ?? DEFAULT_STREAM;
    this.group = options.group ?? ARCHIVERS_GROUP;
    this.batchSize = String(options.batchSize ?? 1000);
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.trimMarginMs = options.trimMarginMs ?? 10 * 60_000;
    this.trimIntervalMs = options.trimIntervalMs ?? 5000;
    this.pruneIdleMs = options.pruneIdleMs ?? 60 * 60_000;
    this.props = new PostgresEventProps(options.propValuesPerDay ?? 100);
  }

  /** Joins the group (creating it, from the stream's start, when it is the first) and runs. */
  static async start(options: ArchiverOptions): Promise<Archiver> {
    const clientOptions = { enableOfflineQueue: false, maxRetries: 1_000_000 };
    const reader = new RedisClient(options.redisUrl, clientOptions);
    const redis = new RedisClient(options.redisUrl, clientOptions);
    await Promise.all([reader.connect(), redis.connect()]);
    const archiver = new Archiver(reader, redis, options);
    await archiver.joinGroup();
    archiver.running = archiver.run();
    return archiver;
  }

  /**
   * Stops reading (a batch being archived is finished and acknowledged), then leaves the group
   * when nothing is pending for this consumer: true when it left. With something pending it stays,
   * for another archiver to claim.
   */
  async stop(): Promise<boolean> {
    this.stopped = true;
    this.reader.close();
    await this.running;
    try {
      return (await this.deleteConsumer(this.options.consumer)) >= 0;
    } catch {
      // Redis unreachable: the consumer stays, for a live archiver to prune later.
      return false;
    } finally {
      this.redis.close();
    }
  }

  private async joinGroup(): Promise<void> {
    try {
      await this.redis.send("XGROUP", ["CREATE", this.stream, this.group, "0", "MKSTREAM"]);
    } catch (error) {
      if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
    }
  }

  private async run(): Promise<void> {
    let backoff = 50;
    while (!this.stopped) {
      try {
        const now = Date.now();
        if (now >= this.nextClaim) {
          this.nextClaim = now + Math.max(50, this.claimIdleMs / 2);
          await this.claim();
        }
        if (this.retryOwn) this.retryOwn = (await this.readGroup("0", false)) > 0;
        else await this.readGroup(">", true);
        if (Date.now() >= this.nextTrim) {
          this.nextTrim = Date.now() + this.trimIntervalMs;
          await this.trim();
          await this.prune();
        }
        backoff = 50;
      } catch (error) {
        if (this.stopped) return;
        this.options.onError?.(error);
        this.retryOwn = true;
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /** Reads a batch for this consumer (`>`: new ones; `0`: its own pending) and archives it. */
  private async readGroup(from: string, block: boolean): Promise<number> {
    const args = ["GROUP", this.group, this.options.consumer, "COUNT", this.batchSize];
    if (block) args.push("BLOCK", String(BLOCK_MS));
    const reply = await this.reader.send("XREADGROUP", [...args, "STREAMS", this.stream, from]);
    return this.archive(entriesOf(reply, this.stream));
  }

  /** Takes over batches other consumers left pending for `claimIdleMs` (they died) and archives them. */
  private async claim(): Promise<void> {
    let cursor = "0-0";
    do {
      const [next, entries] = (await this.redis.send("XAUTOCLAIM", [
        ...[this.stream, this.group, this.options.consumer, String(this.claimIdleMs), cursor],
        ...["COUNT", this.batchSize],
      ])) as [string, StreamEntry[]];
      cursor = next;
      this.totals.claimed += await this.archive(entries);
    } while (cursor !== "0-0" && !this.stopped);
  }

  /**
   * Inserted (a position already there is skipped) with the custom events' properties in one
   * transaction, then acknowledged: never the other way.
   */
  private async archive(entries: StreamEntry[]): Promise<number> {
    // XAUTOCLAIM answers a trimmed entry as null fields: nothing left to archive.
    const present = entries.filter((entry) => Array.isArray(entry?.[1]));
    if (present.length === 0) return 0;
    const events = present.map(decodeEntry);
    this.totals.props += await this.options.sql.begin(async (tx) => {
      const inserted = await archiveEvents(tx, events);
      // Only the events this batch inserted: a retried batch's properties are already there.
      return this.props.write(
        tx,
        events.filter((event) => inserted.has(event.position)),
      );
    });
    await this.redis.send("XACK", [this.stream, this.group, ...present.map(([id]) => id)]);
    this.totals.archived += present.length;
    this.totals.batches++;
    // After each batch, so /api/status, the lag metric and a starting instance see it at once.
    await this.recordArchived();
    return present.length;
  }

  /**
   * Everything before the group's first pending entry (or, with none, through its last delivered
   * one) is archived and acknowledged: recorded in Postgres (a one-row upsert that never goes
   * back), and noted for trimming. Answers that position (0 when there is no group).
   */
  private async recordArchived(): Promise<number> {
    const archived = await archivedThrough(this.redis, this.stream, this.group);
    if (archived <= 0) return 0;
    await recordArchivePosition(this.options.sql, this.stream, archived);
    // At most one checkpoint a second (each batch records): trimming waits at most that longer.
    const now = Date.now();
    const last = this.checkpoints.at(-1);
    const spacing = Math.min(CHECKPOINT_SPACING_MS, this.trimMarginMs);
    if (!last || (archived > last.position && now - last.at >= spacing)) {
      this.checkpoints.push({ position: archived, at: now });
    }
    return archived;
  }

  /** Trims what has been archived for the margin (never what is pending). */
  private async trim(): Promise<void> {
    if ((await this.recordArchived()) <= 0) return;
    const now = Date.now();
    let through = 0;
    while (
      this.checkpoints.length > 0 &&
      (this.checkpoints[0]?.at ?? now) <= now - this.trimMarginMs
    ) {
      through = (this.checkpoints.shift() as { position: number }).position;
    }
    if (through <= this.trimmedThrough) return;
    // MINID keeps every entry at or after the id given: the first one not yet due.
    await this.redis.send("XTRIM", [this.stream, "MINID", idOf(through + 1)]);
    this.trimmedThrough = through;
  }

  /** Removes the group's other consumers idle for `pruneIdleMs` with nothing pending. */
  private async prune(): Promise<void> {
    const consumers = (await this.redis.send("XINFO", [
      "CONSUMERS",
      this.stream,
      this.group,
    ])) as Record<string, unknown>[];
    for (const consumer of consumers) {
      const name = String(consumer.name);
      if (name === this.options.consumer) continue;
      if (Number(consumer.pending) > 0 || Number(consumer.idle) < this.pruneIdleMs) continue;
      if ((await this.deleteConsumer(name)) >= 0) this.totals.pruned++;
    }
  }

  /** -1 (kept) while the consumer has entries pending; otherwise removed. */
  private async deleteConsumer(name: string): Promise<number> {
    const args = [DELETE_CONSUMER_IF_IDLE, "1", this.stream, this.group, name];
    return Number(await this.redis.send("EVAL", args));
  }
}

/**
 * The group's archived-through position: before its first pending entry, or with none pending,
 * through the last one delivered to it (every one of them acknowledged). 0 without the group.
 */
export async function archivedThrough(
  redis: RedisClient,
  stream: string,
  group: string,
): Promise<number> {
  const [pending, smallest] = (await redis.send("XPENDING", [stream, group])) as [
    number,
    string | null,
  ];
  const groups = (await redis.send("XINFO", ["GROUPS", stream])) as Record<string, unknown>[];
  const ours = groups.find((one) => one.name === group);
  if (!ours) return 0;
  return pending > 0 && smallest
    ? positionOf(smallest) - 1
    : positionOf(String(ours["last-delivered-id"]));
}
