// A process holding N dashboard WebSockets. Commands on stdin: "report <sent>", "reset", "exit".
// Prints "READY <n>" once connected, and one JSON line per report.
const [baseUrl = "", countArg = "100"] = process.argv.slice(2);
// They connect as Footfall's own dashboard does, asking for coalescing (visitor_batch past the
// frame budget): this part measures the fan-out of the dashboard built for high rates. The seed's
// dashboards, which cannot batch, get two frames per event and are bounded by their unsent bytes.
const url = new URL(baseUrl);
if (!url.searchParams.has("batch")) url.searchParams.set("batch", "1");
const wsUrl = url.href;
const count = Number(countArg);
const HISTOGRAM_MS = 10_000;
let histogram = new Uint32Array(HISTOGRAM_MS + 1);
let received = new Uint32Array(count);
let frames = 0;
let closed = 0;
// Every dashboard gets the same frames: parse each distinct frame once.
const parsed = new Map<string, { seq: number; sentAt: number }[]>();

function eventsOf(text: string) {
  let events = parsed.get(text);
  if (events) return events;
  const frame = JSON.parse(text) as { type: string; data: { event?: unknown; events?: unknown[] } };
  const list =
    frame.type === "visitor_update"
      ? [frame.data.event]
      : frame.type === "visitor_batch"
        ? (frame.data.events ?? [])
        : [];
  events = [];
  for (const event of list as { metadata?: { seq?: number; sent_at?: number } }[]) {
    if (event.metadata?.seq !== undefined)
      events.push({ seq: event.metadata.seq, sentAt: event.metadata.sent_at ?? 0 });
  }
  parsed.set(text, events);
  if (parsed.size > 256) parsed.delete(parsed.keys().next().value as string);
  return events;
}

async function connect(index: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(wsUrl);
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("connect failed")), { once: true });
    socket.addEventListener("close", () => closed++);
    socket.addEventListener("message", (message) => {
      const now = Date.now();
      frames++;
      for (const { sentAt } of eventsOf(String(message.data))) {
        received[index] = (received[index] ?? 0) + 1;
        const bucket = Math.min(HISTOGRAM_MS, Math.max(0, now - sentAt));
        if (sentAt > 0) histogram[bucket] = (histogram[bucket] ?? 0) + 1;
      }
    });
  });
}

for (let start = 0; start < count; start += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, count - start) }, (_, offset) => connect(start + offset)),
  );
}
console.log(`READY ${count}`);

function percentileOf(p: number): number {
  const total = histogram.reduce((sum, value) => sum + value, 0);
  let seen = 0;
  for (let ms = 0; ms <= HISTOGRAM_MS; ms++) {
    seen += histogram[ms] ?? 0;
    if (seen >= (p / 100) * total) return ms;
  }
  return HISTOGRAM_MS;
}

for await (const line of console) {
  const [command, argument] = line.trim().split(" ");
  if (command === "report") {
    const sent = Number(argument);
    const everyone = received.filter((value) => value >= sent).length;
    console.log(
      JSON.stringify({
        dashboards: count,
        closed,
        frames,
        sent,
        min_received: Math.min(...received),
        dashboards_with_every_event: everyone,
        delivered_share:
          received.reduce((sum, value) => sum + Math.min(value, sent), 0) / (sent * count || 1),
        p50_ms: percentileOf(50),
        p99_ms: percentileOf(99),
      }),
    );
  } else if (command === "reset") {
    histogram = new Uint32Array(HISTOGRAM_MS + 1);
    received = new Uint32Array(count);
    frames = 0;
    console.log("RESET");
  } else if (command === "exit") {
    process.exit(0);
  }
}
