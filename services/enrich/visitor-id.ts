import { createHash, randomBytes } from "node:crypto";
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
  private salt: Buffer = Buffer.alloc(0);

  constructor(
    private readonly clock: Clock,
    private readonly newSalt: () => Buffer = () => randomBytes(32),
    private readonly salts?: SaltSource,
  ) {}

  idFor(site: string, ip: string, userAgent: string): string {
    const today = utcDay(this.clock.now());
    if (today !== this.day) {
      const salt = this.salts ? this.salts.saltFor(today) : this.newSalt();
      // Never a salt of this instance's own in a cluster: its ids would differ from the others'.
      if (salt === undefined) throw new StorageUnavailableError("the day's salt is not in Redis");
      this.day = today;
      this.salt = salt;
    }
    return createHash("sha256")
      .update(this.salt)
      .update(`\0${site}\0${ip}\0${userAgent}`)
      .digest("base64url")
      .slice(0, 22);
  }
}
