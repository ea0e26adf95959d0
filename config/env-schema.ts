import { z } from "zod";

const booleanFromString = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

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

/** Every environment variable Footfall reads, with its default. `.env.example` mirrors this. */
export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  API_TOKEN: z.string().min(16, { message: "expected at least 16 characters" }).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  CORS_ORIGINS: z.string().min(1).default("*"),
  SESSION_TIMEOUT_MINUTES: positiveDecimal.default(30),
  CLEANUP_INTERVAL_MINUTES: positiveDecimal.default(60),
  ALERT_THRESHOLD: wholeNumber(1, 10_000_000).default(10),
  ALERT_COOLDOWN_SECONDS: z.coerce.number({ message: "expected a number" }).min(0).default(60),
  RATE_LIMIT_PER_MINUTE: wholeNumber(0, 10_000_000).default(100),
  TRUST_PROXY: booleanFromString.default(false),
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
  // At most 4 s, so that with the final flush the process is gone within 5 s of the signal.
  SHUTDOWN_TIMEOUT_SECONDS: positiveDecimal
    .max(4, { message: "expected a number of seconds greater than 0 and at most 4" })
    .default(3),
  DURABILITY: z.enum(["normal", "strict"]).default("normal"),
  RETENTION_DAYS: positiveDecimal.default(90),
  SNAPSHOT_INTERVAL_SECONDS: positiveDecimal.default(30),
  STORAGE_BUSY_TIMEOUT_MS: wholeNumber(0, 600_000).default(2000),
});

/** Variables whose values are never repeated in an error message or a log. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(["API_TOKEN"]);

export type RawEnv = z.input<typeof envSchema>;
