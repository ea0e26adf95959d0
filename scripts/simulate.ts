/**
 * Sends realistic traffic to a running Footfall, for a live dashboard to show.
 *
 *   bun run simulate -- [--url http://localhost:3000] [--rate 2] [--duration 60] [--sites default]
 *                       [--spike-every 120] [--spike-size 30] [--speed 1] [--seed 1] [--quiet]
 *
 * --rate is new sessions a second; --duration 0 runs until Ctrl-C; --speed 10 makes pauses ten
 * times shorter. Every event is one POST /api/events, as a tracker sends it.
 */
import { parseArgs } from "node:util";
import { planSession, type Random, seededRandom } from "./simulate/plan.ts";

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
}

export async function simulate(
  options: SimulationOptions,
  signal?: AbortSignal,
): Promise<SimulationTotals> {
  const random: Random = seededRandom(options.seed);
  const totals: SimulationTotals = { sent: 0, failed: 0, sessions: 0, spikes: 0 };
  const endpoint = `${options.url.replace(/\/$/, "")}/api/events`;
  const pending = new Set<Promise<void>>();
  let active = 0;
  let pausedUntil = 0;
  let nextId = 0;

  const post = async (event: Record<string, unknown>): Promise<void> => {
    while (Date.now() < pausedUntil) await Bun.sleep(pausedUntil - Date.now());
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(event),
      });
      await response.arrayBuffer();
      if (response.status === 429) {
        pausedUntil = Date.now() + Number(response.headers.get("retry-after") ?? 1) * 1000;
        totals.failed++;
      } else if (response.status === 201) totals.sent++;
      else totals.failed++;
    } catch {
      totals.failed++;
    }
  };

  const startSession = () => {
    const id = `sim-${options.seed}-${nextId++}`;
    const site = options.sites[Math.floor(random() * options.sites.length)] ?? "default";
    const plan = planSession(random, { id, site, pauseMs: 4000 / options.speed });
    totals.sessions++;
    active++;
    const run = (async () => {
      const started = Date.now();
      for (const { at, event } of plan) {
        const wait = started + at - Date.now();
        if (wait > 0) await Bun.sleep(wait);
        if (signal?.aborted) break;
        await post(event);
      }
      active--;
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  };

  const started = Date.now();
  const deadline =
    options.durationSeconds > 0
      ? started + options.durationSeconds * 1000
      : Number.POSITIVE_INFINITY;
  let nextSpike =
    options.spikeEverySeconds > 0
      ? started + (options.spikeEverySeconds * 1000) / options.speed
      : Number.POSITIVE_INFINITY;
  let lastReport = started;
  let owed = 0;
  let last = started;
  while (Date.now() < deadline && !signal?.aborted) {
    const now = Date.now();
    owed += ((now - last) / 1000) * options.rate;
    last = now;
    for (; owed >= 1; owed--) startSession();
    if (now >= nextSpike) {
      totals.spikes++;
      for (let index = 0; index < options.spikeSize; index++) startSession();
      nextSpike += (options.spikeEverySeconds * 1000) / options.speed;
    }
    if (!options.quiet && now - lastReport >= 5000) {
      lastReport = now;
      console.log(`sent ${totals.sent} events, ${active} sessions active, ${totals.failed} failed`);
    }
    await Bun.sleep(50);
  }
  await Promise.all(pending);
  return totals;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: process.env.FOOTFALL_URL ?? "http://localhost:3000" },
      rate: { type: "string", default: "2" },
      duration: { type: "string", default: "60" },
      sites: { type: "string", default: "default" },
      "spike-every": { type: "string", default: "120" },
      "spike-size": { type: "string", default: "30" },
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
  })) {
    if (!Number.isFinite(value) || value < 0 || (name === "speed" && value === 0)) {
      console.error(`--${name} must be a non-negative number`);
      process.exit(2);
    }
  }
  if (!options.quiet)
    console.log(`simulating ${options.rate} sessions/s against ${options.url} (Ctrl-C to stop)`);
  const totals = await simulate(options, controller.signal);
  console.log(
    `done: ${totals.sent} events sent over ${totals.sessions} sessions, ${totals.spikes} spikes, ${totals.failed} failed`,
  );
}
