/**
 * RSS and live heap, second by second, through a burst of 1,000,000 events over 100,000 sessions
 * and the idle time after it: part 4's scenario drawn over time, to tell what holds the memory.
 * While idle the server gets nothing (`--idle quiet`) or, as part 4 does, one event every 2 s
 * (`--idle events`), so that every snapshot has something to save.
 *   bun bench/idle-rss.ts [--events 1000000] [--snapshot-seconds 5] [--idle quiet|events] [--seconds 30]
 */
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { BENCH_TOKEN, startFootfall } from "./lib/processes.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    "snapshot-seconds": { type: "string", default: "5" },
    idle: { type: "string", default: "events" },
    seconds: { type: "string", default: "30" },
  },
});
const total = Number(values.events);
const server = await startFootfall({
  MAX_ACTIVE_SESSIONS: "200000",
  SNAPSHOT_INTERVAL_SECONDS: String(values["snapshot-seconds"]),
});
const post = async (body: unknown) => {
  const response = await fetch(`${server.url}/api/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
};
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
const sampler = setInterval(async () => {
  const response = await fetch(`${server.url}/api/status?token=${BENCH_TOKEN}`);
  const { memory } = ((await response.json()) as { data: { memory: Record<string, number> } }).data;
  const mb = (bytes = 0) => (bytes / 2 ** 20).toFixed(0);
  console.log(`${elapsed()} s  rss ${mb(memory.rss)} MB  heap used ${mb(memory.heap_used)} MB`);
}, 1000);
try {
  let next = 0;
  const poster = async () => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + 500);
      const events = [];
      for (let index = from; index < next; index++) events.push(sampleEvent(index, 100_000));
      await post(events);
    }
  };
  await Promise.all(Array.from({ length: 4 }, poster));
  console.log(`${elapsed()} s  burst of ${total} events done; idle (${values.idle})`);
  const idleUntil = performance.now() + Number(values.seconds) * 1000;
  for (let tick = 0; performance.now() < idleUntil; tick++) {
    if (values.idle === "events" && tick % 400 === 0) await post(sampleEvent(total + tick));
    await Bun.sleep(5);
  }
} finally {
  clearInterval(sampler);
  await server.stop();
}
