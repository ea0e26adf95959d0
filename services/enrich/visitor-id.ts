import { createHash, type Hash, randomBytes } from "node:crypto";
import { type Clock, utcDay } from "../clock.ts";
import { StorageUnavailableError } from "../pipeline/event-log.ts";

/** A UTC day's salt kept elsewhere (cluster mode: Redis, one for every instance). */
export interface SaltSource {
  /** The day's salt if fetched already; undefined otherwise (fetch it with `ready`). */
  saltFor(day: string): Buffer | undefined;
  /** Resolves once today's salt is at hand. */
  ready(): Promise<void>;
}

/**
 * A visitor id without cookies (Plausible's method): a hash of a random salt, the site, the IP
 * and the User-Agent. The salt lives one UTC day: at midnight it is replaced and the old one
 * forgotten, so an id cannot be tied to the next day's, nor the IP recovered from it. With a
 * shared `salts` source, every instance of a cluster hashes with the same day's salt.
 */
export class VisitorIds {
  private day = "";
  /** The UTC day's bounds in ms: the salt is looked at again only outside them. */
  private dayStart = Number.POSITIVE_INFINITY;
  private dayEnd = Number.NEGATIVE_INFINITY;
  /** A hash that has read the day's salt, copied for each id rather than fed the salt again. */
  private salted: Hash = createHash("sha256");

  constructor(
    private readonly clock: Clock,
    private readonly newSalt: () => Buffer = () => randomBytes(32),
    private readonly salts?: SaltSource,
  ) {}

  idFor(site: string, ip: string, userAgent: string): string {
    const now = this.clock.now();
    if (now < this.dayStart || now >= this.dayEnd) this.enterDay(now);
    return this.salted
      .copy()
      .update(`\0${site}\0${ip}\0${userAgent}`)
      .digest("base64url")
      .slice(0, 22);
  }

  private enterDay(now: number): void {
    const today = utcDay(now);
    if (today !== this.day) {
      const salt = this.salts ? this.salts.saltFor(today) : this.newSalt();
      // Never a salt of this instance's own in a cluster: its ids would differ from the others'.
      if (salt === undefined) throw new StorageUnavailableError("the day's salt is not in Redis");
      this.day = today;
      this.salted = createHash("sha256").update(salt);
    }
    this.dayStart = Date.parse(`${today}T00:00:00.000Z`);
    this.dayEnd = this.dayStart + DAY_MS;
  }
}

const DAY_MS = 86_400_000;
