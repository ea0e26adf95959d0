import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";

const positiveDecimal = z.coerce
  .number({ message: "expected a number" })
  .positive({ message: "expected a number greater than 0" });

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ message: "expected a whole number" })
    .int({ message: "expected a whole number" })
    .min(min, { message: `expected a whole number of at least ${min}` })
    .max(max, { message: `expected a whole number of at most ${max}` });

const port = wholeNumber(0, 65535);

/** `true` or `false` (also yes/no, 1/0), as people write them in a .env. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .transform((value, ctx) => {
    if (["true", "yes", "1"].includes(value)) return true;
    if (["false", "no", "0"].includes(value)) return false;
    ctx.addIssue({ code: "custom", message: "expected true or false" });
    return z.NEVER;
  });

/**
 * `false` (default), `true` (one proxy), a number of proxies, or a comma-separated list of proxy
 * addresses or CIDR ranges: the client address is read that many hops from the right of
 * X-Forwarded-For (as Express's `trust proxy` does), never from its client-controlled left end.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): TrustProxy => {
    const lower = value.toLowerCase();
    if (["false", "no", "0", ""].includes(lower)) return { hops: 0, addresses: [] };
    if (["true", "yes"].includes(lower)) return { hops: 1, addresses: [] };
    if (/^\d+$/.test(value)) return { hops: Math.min(Number(value), 100), addresses: [] };
    const addresses = value
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const bad = addresses.filter((entry) => !isAddressOrRange(entry));
    if (bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected true, false, a number of proxies, or IP addresses / CIDR ranges (not ${bad.join(", ")})`,
      });
      return z.NEVER;
    }
    return { hops: 0, addresses };
  });

function isAddressOrRange(entry: string): boolean {
  const [address, bits, extra] = entry.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Which proxies are trusted: `hops` nearest ones, or those at `addresses`; both empty = none. */
export interface TrustProxy {
  readonly hops: number;
  readonly addresses: readonly string[];
}

/** Every environment variable Footfall reads, with its default. `.env.example` mirrors this. */
export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  API_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  METRICS_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  CORS_ORIGINS: z.string().min(1).default("*"),
  // The earlier systems' clients read their counts with no token: opt in to let them.
  COMPAT_PUBLIC_READS: flag.prefault("false"),
  SESSION_TIMEOUT_MINUTES: positiveDecimal.default(30),
  CLEANUP_INTERVAL_MINUTES: positiveDecimal.default(60),
  ALERT_THRESHOLD: wholeNumber(1, 10_000_000).default(10),
  ALERT_COOLDOWN_SECONDS: z.coerce.number({ message: "expected a number" }).min(0).default(60),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 10_000_000).default(100),
  TRUST_PROXY: trustProxy.prefault("false"),
  CLIENT_IP_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { message: "expected a header name such as X-Real-IP" })
    .optional(),
  // A MaxMind GeoLite2/GeoIP2 .mmdb file; unset: the IP-to-country database shipped with Footfall.
  GEOIP_DATABASE: z
    .string()
    .min(1)
    .refine((path) => existsSync(path), { message: "no such file" })
    .optional(),
  COUNTRY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { message: "expected a header name such as CF-IPCountry" })
    .optional(),
  WEBSOCKET_PORT: port.optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  MAX_EVENT_BYTES: wholeNumber(1024, 16 * 1024 * 1024).default(64 * 1024),
  MAX_BATCH_BYTES: wholeNumber(1024, 64 * 1024 * 1024).default(1024 * 1024),
  MAX_BATCH_EVENTS: wholeNumber(1, 100_000).default(500),
  MAX_ACTIVE_SESSIONS: wholeNumber(1, 10_000_000).default(200_000),
  MAX_TRACKED_KEYS: wholeNumber(1, 1_000_000).default(10_000),
  MAX_COMPAT_KEYS: wholeNumber(1, 10_000_000).default(100_000),
  MAX_DASHBOARDS: wholeNumber(1, 1_000_000).default(10_000),
  WS_MAX_FRAME_BYTES: wholeNumber(128, 16 * 1024 * 1024).default(16 * 1024),
  WS_BACKPRESSURE_BYTES: wholeNumber(1024, 1024 * 1024 * 1024).default(4 * 1024 * 1024),
  WS_MAX_FRAMES_PER_SECOND: wholeNumber(1, 1000).default(20),
  WS_MESSAGES_PER_MINUTE: wholeNumber(1, 1_000_000).default(600),
  WS_TOTAL_BACKPRESSURE_BYTES: wholeNumber(1024, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  WS_DETAILED_STATS_PER_MINUTE: wholeNumber(1, 1_000_000).default(60),
  STATS_MAX_PAGES: wholeNumber(1, 100_000).default(100),
  PROP_VALUES_PER_DAY: wholeNumber(1, 100_000).default(100),
  ANSWER_MAX_BYTES: wholeNumber(16 * 1024, 1024 * 1024 * 1024).default(256 * 1024),
  MAX_TRACKED_KEY_BYTES: wholeNumber(1024, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
  MAX_LIVE_STATE_BYTES: wholeNumber(1024 * 1024, 64 * 1024 * 1024 * 1024).default(
    256 * 1024 * 1024,
  ),
  REQUEST_BODY_TIMEOUT_SECONDS: positiveDecimal
    .max(60, { message: "expected a number of seconds greater than 0 and at most 60" })
    .default(5),
  // At most 4 s, so that with the final flush the process is gone within 5 s of the signal.
  SHUTDOWN_TIMEOUT_SECONDS: positiveDecimal
    .max(4, { message: "expected a number of seconds greater than 0 and at most 4" })
    .default(3),
  DURABILITY: z.enum(["normal", "strict"]).default("normal"),
  RETENTION_DAYS: positiveDecimal.default(90),
  SNAPSHOT_INTERVAL_SECONDS: positiveDecimal.default(30),
  STORAGE_BUSY_TIMEOUT_MS: wholeNumber(0, 600_000).default(2000),
  // Cluster mode (docs/cluster.md): both set, or neither.
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { message: "expected a redis:// or rediss:// URL" })
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: "expected a postgres:// URL" })
    .optional(),
  REDIS_MIN_REPLICAS: wholeNumber(0, 100).default(0),
  STREAM_KEY: z.string().min(1).default("footfall:events"),
  STREAM_TRIM_MARGIN_SECONDS: positiveDecimal.default(600),
  ARCHIVE_CLAIM_IDLE_SECONDS: positiveDecimal.default(30),
  ALLOW_PRIVATE_WEBHOOKS: flag.prefault("false"),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, message: "expected an http:// or https:// URL" })
    .optional(),
  ALERT_DELIVERY_TIMEOUT_SECONDS: positiveDecimal.default(5),
  ALERT_DELIVERY_MAX_RESPONSE_BYTES: wholeNumber(1024, 16 * 1024 * 1024).default(64 * 1024),
  ALERT_DELIVERY_MAX_ATTEMPTS: wholeNumber(1, 100).default(6),
  ALERT_DELIVERY_RETRY_BASE_SECONDS: positiveDecimal.default(2),
  ALERT_DELIVERY_RETRY_MAX_SECONDS: positiveDecimal.default(300),
  ALERT_DESTINATION_PER_MINUTE: wholeNumber(1, 10_000).default(30),
});

/** Variables whose values are never repeated in an error message or a log. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "API_TOKEN",
  "METRICS_TOKEN",
  // URLs may carry a password.
  "REDIS_URL",
  "DATABASE_URL",
]);

export type RawEnv = z.input<typeof envSchema>;
