import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Footfall-Signature";
export const TIMESTAMP_HEADER = "X-Footfall-Timestamp";

/** A destination's secret: 32 random bytes, `whsec_` then hex. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString("hex")}`;
}

/** What a listing shows of a secret: enough to tell two apart, not enough to sign. */
export function secretPrefix(secret: string): string {
  return `${secret.slice(0, 12)}…`;
}

/** `sha256=<hex>`: HMAC-SHA256 with the destination's secret over `<timestamp>.<body>`. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The headers of a signed delivery; `timestamp` in Unix seconds. */
export function signatureHeaders(
  secret: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: sign(secret, timestamp, body),
  };
}

/**
 * What a receiver does (docs/alerts.md): recompute, compare in constant time, and refuse a
 * timestamp older than `toleranceSeconds` (a replayed request).
 */
export function verifySignature(
  secret: string,
  timestamp: string | null,
  body: string,
  signature: string | null,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (timestamp === null || signature === null) return false;
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds) || Math.abs(nowSeconds - seconds) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, seconds, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
