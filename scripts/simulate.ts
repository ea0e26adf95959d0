/**
 * Sends realistic traffic to a running Footfall, for a live dashboard to show.
 *
 *   bun run simulate -- [--url http://localhost:3000] [--rate 0.1] [--duration 60] [--sites default]
 *                       [--spike-every 120] [--spike-size 30] [--speed 1] [--seed 1] [--quiet]
 *
 * --rate is new sessions a second; --duration 0 runs until Ctrl-C; --speed 10 makes pauses (and
 * the time between spikes) ten times shorter. The first spike comes at half the spike interval or
 * half the run, whichever is sooner, then one every --spike-every seconds.
 *
 * The defaults suit a server on its defaults: a new session every 10 s keeps about 8 visitors in
 * the last minute (10 or more well under 1% of the time), below ALERT_THRESHOLD=10, so the spike of
 * 30 sessions is what raises the alert. Events due together go in one batch POST (see
 * simulate/sender.ts), which keeps the run under the default RATE_LIMIT_PER_MINUTE of 100.
 */
import { parseArgs } from "node:util";
import { planSession, type Random, seededRandom } from "./simulate/plan.ts";
import { BatchSender, pause } from "./simulate/sender.ts";

export interface SimulationOptions {
  url: string;
  rate: number;
  durationSeconds: number;
  sites: string[];
  spikeEverySeconds: number;
  spikeSize: number;
  speed: number;
  seed: number;
  quiet: boolean;
}

export interface SimulationTotals {
  sent: number;
  failed: number;
  sessions: number;
  spikes: number;
  /** 429 answers from the server (each waited out and retried, up to a bound). */
  rateLimited: number;
}

/** What `npm run simulate` does with no options (see the comment at the top for why these). */
export const DEFAULTS = {
  rate: 0.1,
  durationSeconds: 60,
  spikeEverySeconds: 120,
  spikeSize: 30,
} as const;

export const RATE_LIMIT_HINT =
  "the server is rate-limiting this simulator (429); start Footfall with RATE_LIMIT_PER_MINUTE=0 for heavier traffic";

/** When the first spike comes, in ms after the start: half the interval or half the run, whichever is sooner. */
export function firstSpikeDelayMs(options: SimulationOptions): number {
  if (options.spikeEverySeconds <= 0 || options.spikeSize <= 0) return Number.POSITIVE_INFINITY;
  const halfInterval = (options.spikeEverySeconds * 1000) / options.speed / 2;
  return options.durationSeconds > 0
    ? Math.min(halfInterval, (options.durationSeconds * 1000) / 2)
    : halfInterval;
}

export async function simulate(
  options: SimulationOptions,
  signal?: AbortSignal,
): Promise<SimulationTotals> {
  const random: Random = seededRandom(options.seed);
  const totals = { sessions: 0, spikes: 0 };
  let active = 0;
  let warned = false;
  const sender = new BatchSender(`${options.url.replace(/\/$/, "")}/api/events`, {
    signal,
    onSettled: (event) => {
      if (event.type === "session_end") active--;
    },
    onRateLimited: (waitMs, willRetry) => {
      if (warned && willRetry) return;
      warned = true;
      console.error(
        `${RATE_LIMIT_HINT}${willRetry ? `; retrying in ${Math.ceil(waitMs / 1000)} s` : ""}`,
      );
    },
  });
  let nextId = 0;
  const startSession = (now: number) => {
    const id = `sim-${options.seed}-${nextId++}`;
    const site = options.sites[Math.floor(random() * options.sites.length)] ?? "default";
    for (const { at, event } of planSession(random, { id, site, pauseMs: 4000 / options.speed }))
      sender.schedule(now + at, event);
    totals.sessions++;
    active++;
  };

  const sending = sender.run();
  const started = Date.now();
  const deadline =
    options.durationSeconds > 0
      ? started + options.durationSeconds * 1000
      : Number.POSITIVE_INFINITY;
  let nextSpike = started + firstSpikeDelayMs(options);
  let lastReport = started;
  // The first session starts at once, so the dashboard moves straight away.
  let owed = options.rate > 0 ? 1 : 0;
  let last = started;
  while (Date.now() < deadline && !signal?.aborted) {
    const now = Date.now();
    owed += ((now - last) / 1000) * options.rate;
    last = now;
    for (; owed >= 1; owed--) startSession(now);
    if (now >= nextSpike) {
      totals.spikes++;
      for (let index = 0; index < options.spikeSize; index++) startSession(now);
      nextSpike += (options.spikeEverySeconds * 1000) / options.speed;
    }
    if (!options.quiet && now - lastReport >= 5000) {
      lastReport = now;
      const { sent, failed } = sender.totals;
      console.log(`sent ${sent} events, ${active} sessions active, ${failed} failed`);
    }
    await pause(50, signal);
  }
  // Sessions already started run to their session_end (unless stopped with Ctrl-C).
  sender.close();
  await sending;
  return { ...totals, ...sender.totals };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: process.env.FOOTFALL_URL ?? "http://localhost:3000" },
      rate: { type: "string", default: String(DEFAULTS.rate) },
      duration: { type: "string", default: String(DEFAULTS.durationSeconds) },
      sites: { type: "string", default: "default" },
      "spike-every": { type: "string", default: String(DEFAULTS.spikeEverySeconds) },
      "spike-size": { type: "string", default: String(DEFAULTS.spikeSize) },
      speed: { type: "string", default: "1" },
      seed: { type: "string", default: String(Date.now() % 1_000_000) },
      quiet: { type: "boolean", default: false },
    },
  });
  const controller = new AbortController();
  process.on("SIGINT", () => controller.abort());
  const options: SimulationOptions = {
    url: values.url,
    rate: Number(values.rate),
    durationSeconds: Number(values.duration),
    sites: values.sites
      .split(",")
      .map((site) => site.trim())
      .filter(Boolean),
    spikeEverySeconds: Number(values["spike-every"]),
    spikeSize: Number(values["spike-size"]),
    speed: Number(values.speed),
    seed: Number(values.seed),
    quiet: values.quiet,
  };
  for (const [name, value] of Object.entries({
    rate: options.rate,
    duration: options.durationSeconds,
    speed: options.speed,
    "spike-every": options.spikeEverySeconds,
    "spike-size": options.spikeSize,
  })) {
    if (!Number.isFinite(value) || value < 0 || (name === "speed" && value === 0)) {
      console.error(`--${name} must be a non-negative number`);
      process.exit(2);
    }
  }
  if (!options.quiet) {
    const firstSpike = firstSpikeDelayMs(options);
    const spikes = Number.isFinite(firstSpike)
      ? `, a spike of ${options.spikeSize} sessions at ${firstSpike / 1000} s then every ${options.spikeEverySeconds / options.speed} s`
      : "";
    console.log(
      `simulating ${options.rate} new sessions a second${spikes} against ${options.url} (Ctrl-C to stop)`,
    );
  }
  const totals = await simulate(options, controller.signal);
  console.log(
    `done: ${totals.sent} events sent over ${totals.sessions} sessions, ${totals.spikes} spikes, ${totals.failed} failed`,
  );
  if (totals.rateLimited > 0)
    console.error(`${totals.rateLimited} requests were refused with 429: ${RATE_LIMIT_HINT}`);
}
