// The fallback load generator (when wrk is absent): N keep-alive connections posting events.
import { sampleEvent } from "./events.ts";
import { latencySummary } from "./load.ts";

const [url = "", connectionsArg = "50", secondsArg = "5", batchArg = "1"] = process.argv.slice(2);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const batch = Number(batchArg);
const latencies: number[] = [];
let errors = 0;
let counter = 0;
const deadline = performance.now() + seconds * 1000;
// Extra headers (a browser's User-Agent, a proxy's X-Forwarded-For) for /api/collect runs.
const extraHeaders = JSON.parse(process.env.LOAD_HEADERS ?? "{}") as Record<string, string>;

async function connection() {
  while (performance.now() < deadline) {
    const body =
      batch > 1
        ? JSON.stringify(Array.from({ length: batch }, () => sampleEvent(counter++)))
        : JSON.stringify(sampleEvent(counter++));
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...extraHeaders },
        body,
      });
      await response.arrayBuffer();
      if (response.status >= 300) errors++;
      else latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: connections }, connection));
console.log(JSON.stringify(latencySummary(latencies, seconds, errors)));
