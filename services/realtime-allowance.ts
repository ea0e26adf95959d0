/** A per-minute allowance of one kind of message from one dashboard (a fixed one-minute window). */
export interface MinuteAllowance {
  used: number;
  windowStart: number;
}

export function newAllowance(now: number): MinuteAllowance {
  return { used: 0, windowStart: now };
}

/** Counts one message; false when it is past `perMinute` in the current minute. */
export function takeAllowance(allowance: MinuteAllowance, now: number, perMinute: number): boolean {
  if (now - allowance.windowStart >= 60_000) {
    allowance.windowStart = now;
    allowance.used = 0;
  }
  return ++allowance.used <= perMinute;
}
