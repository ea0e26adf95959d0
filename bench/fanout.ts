/**
 * Part 3: fan-out. N dashboards connected from a separate process; events posted one per request
 * at steady rates; per rate, the p50/p99 latency from the POST to each dashboard having the event
 * (coalesced batches count), and the share of events every dashboard received.
 *   bun bench/fanout.ts [--dashboards 1000] [--rates 100,500,1000] [--seconds 5]
 */
import { parseArgs } from "node:util";
import { DashboardFleet } from "./lib/dashboard-process.ts";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN, startFootfall } from "./lib/processes.ts";

export async function benchFanOut(options: {
  dashboards: number;
  rates: number[];
  seconds: number;
}) {
  const server = await startFootfall();
  const fleet = await DashboardFleet.start(
    `${server.url.replace("http", "ws")}/ws?token=${BENCH_TOKEN}`,
    options.dashboards,
  );
  const results: Record<string, unknown>[] = [];
  try {
    let seq = 0;
    for (const rate of options.rates) {
      await fleet.reset();
      const total = Math.round(rate * options.seconds);
      const started = performance.now();
      let sent = 0;
      let failed = 0;
      const inFlight = new Set<Promise<void>>();
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
        while (sent < due) {
          const event = sampleEvent(seq, 10_000, { seq, sent_at: Date.now() });
          seq++;
          sent++;
          const request = fetch(`${server.url}/api/events`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(event),
          })
            .then(async (response) => {
              await response.arrayBuffer();
              if (response.status !== 201) failed++;
            })
            .catch(() => {
              failed++;
            })
            .finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await Bun.sleep(1);
      }
      await Promise.all(inFlight);
      await Bun.sleep(500); // the last tick and the network
      const report = await fleet.report(sent - failed);
      results.push({ rate, posted: sent, failed, ...report });
    }
  } finally {
    await fleet.stop();
    await server.stop();
  }
  return { dashboards: options.dashboards, seconds_per_rate: options.seconds, rates: results };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      dashboards: { type: "string", default: "1000" },
      rates: { type: "string", default: "100,500,1000" },
      seconds: { type: "string", default: "5" },
    },
  });
  const result = await benchFanOut({
    dashboards: Number(values.dashboards),
    rates: String(values.rates).split(",").map(Number),
    seconds: Number(values.seconds),
  });
  console.log(JSON.stringify(result, null, 2));
}
