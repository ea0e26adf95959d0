import { envSchema, SECRET_VARIABLES, type TrustProxy } from "./env-schema.ts";

export type { TrustProxy };

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Undefined until start-up resolves one (generated and kept in DATA_DIR when unset). */
  readonly apiToken: string | undefined;
  readonly dataDir: string;
  /** `"*"` or an explicit allow-list. */
  readonly corsOrigins: "*" | readonly string[];
  /**
   * The compatibility routes' reads (`GET /api/v1/stats`, `/api/customer-visit-count`,
   * `/api/overall-visit-count`) need no token, as in the earlier systems.
   */
  readonly compatPublicReads: boolean;
  readonly sessionTimeoutMs: number;
  readonly cleanupIntervalMs: number;
  readonly alertThreshold: number;
  readonly alertCooldownMs: number;
  readonly rateLimitPerMinute: number;
  /** Proxies whose X-Forwarded-For entries are believed (none by default). */
  readonly trustProxy: TrustProxy;
  /** A header a trusted proxy sets to the client address (X-Real-IP and the like); unset: none. */
  readonly clientIpHeader: string | undefined;
  readonly websocketPort: number | undefined;
  readonly logLevel: "debug" | "info" | "warn" | "error" | "silent";
  readonly nodeEnv: "development" | "production" | "test";
  readonly limits: {
    readonly maxEventBytes: number;
    readonly maxBatchBytes: number;
    readonly maxBatchEvents: number;
    readonly maxActiveSessions: number;
    readonly maxTrackedKeys: number;
    readonly maxCompatKeys: number;
    readonly maxDashboards: number;
    readonly wsMaxFrameBytes: number;
    readonly wsBackpressureBytes: number;
    readonly wsMaxFramesPerSecond: number;
    readonly wsMessagesPerMinute: number;
    /** Unsent WebSocket bytes across all dashboards; past it the slowest are dropped first. */
    readonly wsTotalBackpressureBytes: number;
    /** `request_detailed_stats` a dashboard may send a minute (they cost more than the rest). */
    readonly wsDetailedStatsPerMinute: number;
    /** Most pages listed in any `pages_visited`; the rest are summed as `(other)`. */
    readonly statsMaxPages: number;
    /** Bytes of the session and event lists in one read answer; past it they stop and say so. */
    readonly answerMaxBytes: number;
    /** Bytes of distinct keys (pages, countries, sites, devices) counted per day. */
    readonly maxTrackedKeyBytes: number;
    /** Byte budget of the live state; past it the least recently active sessions are evicted. */
    readonly maxLiveStateBytes: number;
    /** A request body must arrive within this time (408 otherwise). */
    readonly requestBodyTimeoutMs: number;
  };
  readonly shutdownTimeoutMs: number;
  readonly storage: {
    readonly durability: "normal" | "strict";
    readonly retentionDays: number;
    readonly snapshotIntervalMs: number;
    readonly busyTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment once into the one frozen Config; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`WEBSOCKET_PORT=` in a .env) means unset, not zero or "".
  const known = Object.fromEntries(
    Object.keys(envSchema.shape).map((name) => [name, env[name] === "" ? undefined : env[name]]),
  ) as Record<string, string | undefined>;
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "environment");
        // A secret is named but never echoed: start-up errors end up in terminals and CI logs.
        if (SECRET_VARIABLES.has(name)) return `${name} (value not shown): ${issue.message}`;
        return `${name}=${JSON.stringify(known[name] ?? "")}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const origins = e.CORS_ORIGINS.split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    apiToken: e.API_TOKEN,
    dataDir: e.DATA_DIR,
    corsOrigins: origins.includes("*") || origins.length === 0 ? "*" : Object.freeze(origins),
    compatPublicReads: e.COMPAT_PUBLIC_READS,
    sessionTimeoutMs: e.SESSION_TIMEOUT_MINUTES * 60_000,
    cleanupIntervalMs: e.CLEANUP_INTERVAL_MINUTES * 60_000,
    alertThreshold: e.ALERT_THRESHOLD,
    alertCooldownMs: e.ALERT_COOLDOWN_SECONDS * 1000,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxy: Object.freeze({
      hops: e.TRUST_PROXY.hops,
      addresses: Object.freeze([...e.TRUST_PROXY.addresses]),
    }),
    clientIpHeader: e.CLIENT_IP_HEADER?.toLowerCase(),
    websocketPort: e.WEBSOCKET_PORT,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
    limits: Object.freeze({
      maxEventBytes: e.MAX_EVENT_BYTES,
      maxBatchBytes: e.MAX_BATCH_BYTES,
      maxBatchEvents: e.MAX_BATCH_EVENTS,
      maxActiveSessions: e.MAX_ACTIVE_SESSIONS,
      maxTrackedKeys: e.MAX_TRACKED_KEYS,
      maxCompatKeys: e.MAX_COMPAT_KEYS,
      maxDashboards: e.MAX_DASHBOARDS,
      wsMaxFrameBytes: e.WS_MAX_FRAME_BYTES,
      wsBackpressureBytes: e.WS_BACKPRESSURE_BYTES,
      wsMaxFramesPerSecond: e.WS_MAX_FRAMES_PER_SECOND,
      wsMessagesPerMinute: e.WS_MESSAGES_PER_MINUTE,
      wsTotalBackpressureBytes: e.WS_TOTAL_BACKPRESSURE_BYTES,
      wsDetailedStatsPerMinute: e.WS_DETAILED_STATS_PER_MINUTE,
      statsMaxPages: e.STATS_MAX_PAGES,
      answerMaxBytes: e.ANSWER_MAX_BYTES,
      maxTrackedKeyBytes: e.MAX_TRACKED_KEY_BYTES,
      maxLiveStateBytes: e.MAX_LIVE_STATE_BYTES,
      requestBodyTimeoutMs: e.REQUEST_BODY_TIMEOUT_SECONDS * 1000,
    }),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    storage: Object.freeze({
      durability: e.DURABILITY,
      retentionDays: e.RETENTION_DAYS,
      snapshotIntervalMs: e.SNAPSHOT_INTERVAL_SECONDS * 1000,
      busyTimeoutMs: e.STORAGE_BUSY_TIMEOUT_MS,
    }),
  });
}
