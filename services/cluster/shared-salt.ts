import { randomBytes } from "node:crypto";
import type { RedisClient } from "bun";
import { type Clock, utcDay } from "../clock.ts";
import type { SaltSource } from "../enrich/visitor-id.ts";
import type { Logger } from "../logger.ts";

const DAY_MS = 86_400_000;
/** A day's salt outlives its day a little (instances' clocks differ), then Redis forgets it. */
const SALT_TTL_SECONDS = 90_000;
/** Tomorrow's salt is fetched this long before midnight, so the first visit of the day never waits. */
const AHEAD_MS = 60_000;

/**
 * The visitor-id salt of each UTC day, one for the whole cluster: the first instance to ask sets
 * it in Redis (SET NX with an expiry), every instance reads that one, and keeps it in memory for
 * the day. Fetched at start-up and a minute before midnight; a collect that finds none waits.
 */
export class SharedSalts implements SaltSource {
  private readonly salts = new Map<string, Buffer>();
  private fetching = new Map<string, Promise<Buffer>>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  saltFor(day: string): Buffer | undefined {
    return this.salts.get(day);
  }

  async ready(): Promise<void> {
    const today = utcDay(this.clock.now());
    if (!this.salts.has(today)) await this.fetch(today);
  }

  /** Fetches today's salt now, then tomorrow's ahead of each midnight. */
  async start(): Promise<void> {
    await this.ready();
    this.timer = setInterval(() => void this.prefetch(), AHEAD_MS / 4);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async prefetch(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.ready();
      const soon = utcDay(now + AHEAD_MS);
      if (!this.salts.has(soon)) await this.fetch(soon);
    } catch (error) {
      this.logger.warn({ err: error }, "fetching the day's visitor salt failed; retrying");
    }
  }

  private fetch(day: string): Promise<Buffer> {
    let pending = this.fetching.get(day);
    if (!pending) {
      pending = this.load(day).finally(() => this.fetching.delete(day));
      this.fetching.set(day, pending);
    }
    return pending;
  }

  private async load(day: string): Promise<Buffer> {
    const key = `footfall:salt:${day}`;
    const candidate = randomBytes(32).toString("base64");
    await this.redis.send("SET", [key, candidate, "NX", "EX", String(SALT_TTL_SECONDS)]);
    const stored = await this.redis.get(key);
    if (stored === null) throw new Error(`the salt of ${day} vanished from Redis`);
    const salt = Buffer.from(stored, "base64");
    this.salts.set(day, salt);
    // Only today's and tomorrow's are kept: an old day's salt is forgotten, as the method requires.
    const yesterday = utcDay(this.clock.now() - DAY_MS);
    for (const known of this.salts.keys()) if (known <= yesterday) this.salts.delete(known);
    return salt;
  }
}
