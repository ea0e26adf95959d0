/**
 * A token bucket per destination: `perMinute` deliveries a minute, in bursts of at most that
 * many. A delivery over it waits (it is not dropped).
 */
export class DestinationRateLimiter {
  private readonly buckets = new Map<number, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  /** Takes a token now (undefined), or says when one will be there (ms since the epoch). */
  take(destinationId: number, now: number): number | undefined {
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(destinationId) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.buckets.set(destinationId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return now + Math.ceil((1 - bucket.tokens) / rate);
  }
}
