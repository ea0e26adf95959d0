import { createHash, randomBytes } from "node:crypto";
import { type Clock, utcDay } from "../clock.ts";

/**
 * A visitor id without cookies (Plausible's method): a hash of a random salt, the site, the IP
 * and the User-Agent. The salt lives one UTC day: at midnight it is replaced and the old one
 * forgotten, so an id cannot be tied to the next day's, nor the IP recovered from it.
 */
export class VisitorIds {
  private day = "";
  private salt: Buffer = Buffer.alloc(0);

  constructor(
    private readonly clock: Clock,
    private readonly newSalt: () => Buffer = () => randomBytes(32),
  ) {}

  idFor(site: string, ip: string, userAgent: string): string {
    const today = utcDay(this.clock.now());
    if (today !== this.day) {
      this.day = today;
      this.salt = this.newSalt();
    }
    return createHash("sha256")
      .update(this.salt)
      .update(`\0${site}\0${ip}\0${userAgent}`)
      .digest("base64url")
      .slice(0, 22);
  }
}
