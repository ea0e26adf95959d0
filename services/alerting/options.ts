/**
 * Alerting's settings. Read from `config.alerting` once config/ carries it; until then the
 * defaults below (tests pass their own through `createApp(services, { alerting })`).
 */
export interface AlertingOptions {
  /** Webhooks to loopback, link-local and private addresses are refused unless true. */
  allowPrivateWebhooks: boolean;
  /** The dashboard's public address, for the links in the messages (no trailing slash). */
  publicUrl: string;
  /** One delivery attempt's whole time, connection to the last byte read (ms). */
  deliveryTimeoutMs: number;
  /** More of a receiver's answer than this is not read (bytes). */
  maxResponseBytes: number;
  /** Attempts before a delivery is marked failed. */
  maxAttempts: number;
  /** The wait after the first failure; doubled after each (ms). */
  retryBaseMs: number;
  /** The longest wait between two attempts (ms). */
  retryMaxMs: number;
  /** Deliveries to one destination a minute; more wait their turn. */
  destinationPerMinute: number;
  /** How often the worker looks for deliveries due, besides being woken by a new one (ms). */
  pollMs: number;
  /** How often rules re-check as time passes (a drop is the absence of events) (ms). */
  tickMs: number;
  /** Deliveries in flight at once, across destinations. */
  concurrency: number;
  /** With shared stores (a cluster), how often rules are read again for another instance's changes (ms). */
  rulesReloadMs: number;
}

export const DEFAULT_ALERTING_OPTIONS: Readonly<AlertingOptions> = Object.freeze({
  allowPrivateWebhooks: false,
  publicUrl: "http://localhost:3000",
  deliveryTimeoutMs: 5_000,
  maxResponseBytes: 64 * 1024,
  maxAttempts: 6,
  retryBaseMs: 2_000,
  retryMaxMs: 5 * 60_000,
  destinationPerMinute: 30,
  pollMs: 1_000,
  tickMs: 1_000,
  concurrency: 4,
  rulesReloadMs: 2_000,
});

/**
 * The defaults (the dashboard link on this machine's PORT), then what the config gives
 * (`config.alerting`, once added), then overrides.
 */
export function alertingOptions(
  config: object,
  overrides: Partial<AlertingOptions> = {},
): AlertingOptions {
  const { alerting, port } = config as { alerting?: Partial<AlertingOptions>; port?: number };
  const publicUrl = `http://localhost:${port || 3000}`;
  return { ...DEFAULT_ALERTING_OPTIONS, publicUrl, ...alerting, ...overrides };
}
