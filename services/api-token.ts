import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TOKEN_FILE = "api-token";

/**
 * The configured token, or the one kept in DATA_DIR, or a new random one written there (0600).
 * Returns whether it was generated so start-up can say so.
 */
export function resolveApiToken(
  configured: string | undefined,
  dataDir: string,
): { token: string; source: "environment" | "file" | "generated" } {
  if (configured) return { token: configured, source: "environment" };
  const file = join(dataDir, TOKEN_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length >= 16) return { token: stored, source: "file" };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: "generated" };
}

/** Constant-time comparison: both sides are hashed to equal length first. */
export function tokensMatch(candidate: string, expected: string): boolean {
  const a = createHash("sha256").update(candidate).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
