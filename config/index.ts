import type { z } from "zod";
import { envSchema, SECRET_VARIABLES, type TrustProxy } from "./env-schema.ts";

export type { TrustProxy };

/**
 * The environment, parsed, as the rest of Footfall reads it: units converted (minutes and seconds
 * to milliseconds), names in camelCase, limits grouped, every level frozen. Its type is the
 * Config type.
 */
export const configSchema = envSchema.transform((e) =>
  Object.freeze({
    port: e.PORT,
    host: e.HOST,
    /** Undefined until start-up resolves one (generated and kept in DATA_DIR when unset). */
    apiToken: e.API_TOKEN,
    /** A second token that opens only GET /metrics (a scraper need not read visitors). */
    metricsToken: e.METRICS_TOKEN,
    dataDir: e.DATA_DIR,
    /** `"*"` or an explicit allow-list. */
    corsOrigins: corsOrigins(e.CORS_ORIGINS),
    /**
     * The compatibility routes' reads (`GET /api/v1/stats`, `/api/customer-visit-count`,
     * `/api/overall-visit-count`) need no token, as in the earlier systems.
     */
    compatPublicReads: e.COMPAT_PUBLIC_READS,
    sessionTimeoutMs: e.SESSION_TIMEOUT_MINUTES * 60_000,
    cleanupIntervalMs: e.CLEANUP_INTERVAL_MINUTES * 60_000,
    alertThreshold: e.ALERT_THRESHOLD,
    alertCooldownMs: e.ALERT_COOLDOWN_SECONDS * 1000,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    /** Proxies whose X-Forwarded-For entries are believed (none by default). */
    trustProxy: Object.freeze({
      hops: e.TRUST_PROXY.hops,
      addresses: Object.freeze([...e.TRUST_PROXY.addresses]),
    }),
    /** A header a trusted proxy sets to the client address (X-Real-IP and the like); unset: none. */
    clientIpHeader: e.CLIENT_IP_HEADER?.toLowerCase(),
    /** The tracker endpoint's IP database: a MaxMind file; unset: the shipped country database. */
    geoipDatabase: e.GEOIP_DATABASE,
    /** A country header a trusted proxy sets (CF-IPCountry and the like); read only with TRUST_PROXY. */
    countryHeader: e.COUNTRY_HEADER?.toLowerCase(),
    websocketPort: e.WEBSOCKET_PORT,
    logLevel: e.LOG_LEVEL,
    nodeEnv: e.NODE_ENV,
    limits: Object.freeze({
      maxEventBytes: e.MAX_EVENT_BYTES,
      maxBatchBytes: e.MAX_BATCH_BYTES,
      /** Events in one POST /api/events batch. */
      maxBatchEvents: e.MAX_BATCH_EVENTS,
      maxActiveSessions: e.MAX_ACTIVE_SESSIONS,
      maxTrackedKeys: e.MAX_TRACKED_KEYS,
      maxCompatKeys: e.MAX_COMPAT_KEYS,
      maxDashboards: e.MAX_DASHBOARDS,
      wsMaxFrameBytes: e.WS_MAX_FRAME_BYTES,
      wsBackpressureBytes: e.WS_BACKPRESSURE_BYTES,
      wsMaxFramesPerSecond: e.WS_MAX_FRAMES_PER_SECOND,
      wsMessagesPerMinute: e.WS_MESSAGES_PER_MINUTE,
      /** Unsent WebSocket bytes across all dashboards; past it the slowest are dropped first. */
      wsTotalBackpressureBytes: e.WS_TOTAL_BACKPRESSURE_BYTES,
      /** `request_detailed_stats` a dashboard may send a minute (they cost more than the rest). */
      wsDetailedStatsPerMinute: e.WS_DETAILED_STATS_PER_MINUTE,
      /** Most pages listed in any `pages_visited`; the rest are summed as `(other)`. */
      statsMaxPages: e.STATS_MAX_PAGES,
      /** Distinct values a custom event property keeps per site and UTC day; the rest `(other)`. */
      propValuesPerDay: e.PROP_VALUES_PER_DAY,
      /** Bytes of the session and event lists in one read answer; past it they stop and say so. */
      answerMaxBytes: e.ANSWER_MAX_BYTES,
      /** Bytes of distinct keys (pages, countries, sites, devices) counted per day. */
      maxTrackedKeyBytes: e.MAX_TRACKED_KEY_BYTES,
      /** Byte budget of the live state; past it the least recently active sessions are evicted. */
      maxLiveStateBytes: e.MAX_LIVE_STATE_BYTES,
      /** A request body must arrive within this time (408 otherwise). */
      requestBodyTimeoutMs: e.REQUEST_BODY_TIMEOUT_SECONDS * 1000,
    }),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    storage: Object.freeze({
      durability: e.DURABILITY,
      retentionDays: e.RETENTION_DAYS,
      snapshotIntervalMs: e.SNAPSHOT_INTERVAL_SECONDS * 1000,
      busyTimeoutMs: e.STORAGE_BUSY_TIMEOUT_MS,
    }),
    /** Alerts sent out of the building (docs/alerts.md). */
    alerting: Object.freeze({
      allowPrivateWebhooks: e.ALLOW_PRIVATE_WEBHOOKS,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      deliveryTimeoutMs: e.ALERT_DELIVERY_TIMEOUT_SECONDS * 1000,
      maxResponseBytes: e.ALERT_DELIVERY_MAX_RESPONSE_BYTES,
      maxAttempts: e.ALERT_DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: e.ALERT_DELIVERY_RETRY_BASE_SECONDS * 1000,
      retryMaxMs: e.ALERT_DELIVERY_RETRY_MAX_SECONDS * 1000,
      destinationPerMinute: e.ALERT_DESTINATION_PER_MINUTE,
    }),
    /** Cluster mode: set when both REDIS_URL and DATABASE_URL are (docs/cluster.md). */
    cluster:
      e.REDIS_URL !== undefined && e.DATABASE_URL !== undefined
        ? Object.freeze({
            redisUrl: e.REDIS_URL,
            databaseUrl: e.DATABASE_URL,
            minReplicas: e.REDIS_MIN_REPLICAS,
            streamKey: e.STREAM_KEY,
            trimMarginMs: e.STREAM_TRIM_MARGIN_SECONDS * 1000,
            claimIdleMs: e.ARCHIVE_CLAIM_IDLE_SECONDS * 1000,
          })
        : undefined,
  }),
);

export type Config = z.output<typeof configSchema>;

function corsOrigins(value: string): "*" | readonly string[] {
  const origins = value
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.includes("*") || origins.length === 0 ? "*" : Object.freeze(origins);
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
  const parsed = configSchema.safeParse(known);
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
  const problems = clusterProblems(parsed.data, known);
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

/** Cluster mode needs both stores, and a token every instance shares (a generated one would differ). */
function clusterProblems(config: Config, env: Record<string, string | undefined>): string[] {
  const redis = env.REDIS_URL !== undefined;
  const postgres = env.DATABASE_URL !== undefined;
  if (redis !== postgres) {
    const [set, missing] = redis ? ["REDIS_URL", "DATABASE_URL"] : ["DATABASE_URL", "REDIS_URL"];
    return [
      `${set} is set but ${missing} is not: cluster mode needs both (a Redis for the event stream, a Postgres for history); set neither for a single process`,
    ];
  }
  if (config.cluster && config.apiToken === undefined) {
    return [
      "API_TOKEN is required in cluster mode (REDIS_URL and DATABASE_URL set): a generated token would differ on each instance",
    ];
  }
  return [];
}
