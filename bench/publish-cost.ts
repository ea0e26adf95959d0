/**
 * What Bun's topic publish costs the server per byte delivered: a bare Bun.serve publishes a JSON
 * frame of `--kb` KiB `--rate` times a second to `--sockets` WebSockets held by a second process
 * (which only counts what it reads); the server's user and system CPU from /proc, per MB handed
 * to sockets. Explains the fan-out's cost in bench/fanout-cpu.ts: the dashboards' frames carry
 * every event and its session, so the bytes grow with events × dashboards, whatever the ticks.
 *   bun bench/publish-cost.ts [--kb 200] [--rate 20] [--sockets 100] [--seconds 5] [--compress]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    kb: { type: "string", default: "200" },
    rate: { type: "string", default: "20" },
    sockets: { type: "string", default: "100" },
    seconds: { type: "string", default: "5" },
    compress: { type: "boolean", default: false },
    // Internal: run as the process holding the sockets.
    clients: { type: "string" },
  },
});
const sockets = Number(values.sockets);

if (values.clients !== undefined) {
  let bytes = 0;
  for (let index = 0; index < sockets; index++) {
    await new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(values.clients as string);
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("connect failed")), { once: true });
      socket.addEventListener("message", (message) => {
        bytes += String(message.data).length;
      });
    });
  }
  console.log("READY");
  setInterval(() => console.log(`READ ${bytes}`), 1000);
} else {
  console.log(JSON.stringify(await measure()));
  process.exit(0);
}

function cpuSeconds(): { user: number; system: number } {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** A frame like a `visitor_batch`: events' JSON, ~`kb` KiB of it. */
function frameOf(kb: number): string {
  const events: string[] = [];
  let length = 0;
  for (let index = 0; length < kb * 1024; index++) {
    const event = JSON.stringify({
      type: "pageview",
      page: `/products/${index % 997}`,
      session_id: `session-${index}`,
      site: `site-${index % 5}`,
      country: "US",
      title: "Product page",
      metadata: { device: "desktop", referrer: "https://www.google.com/" },
    });
    events.push(event);
    length += event.length + 1;
  }
  return `{"type":"visitor_batch","data":{"events":[${events.join(",")}]}}`;
}

async function measure() {
  const compress = values.compress;
  const server = Bun.serve({
    port: 0,
    fetch: (request, bun) => (bun.upgrade(request) ? undefined : new Response("no")),
    websocket: {
      perMessageDeflate: compress,
      open(ws) {
        ws.subscribe("frames");
      },
      message() {},
    },
  });
  const clients = Bun.spawn(
    [
      process.execPath,
      import.meta.path,
      "--clients",
      `ws://127.0.0.1:${server.port}/`,
      "--sockets",
      String(sockets),
    ],
    { stdout: "pipe" },
  );
  const reader = clients.stdout.getReader();
  for (let seen = ""; !seen.includes("READY"); ) {
    const { value } = await reader.read();
    seen += new TextDecoder().decode(value);
  }
  const frame = frameOf(Number(values.kb));
  const before = cpuSeconds();
  const started = performance.now();
  let published = 0;
  const timer = setInterval(() => {
    server.publish("frames", frame, compress);
    published++;
  }, 1000 / Number(values.rate));
  await Bun.sleep(Number(values.seconds) * 1000);
  clearInterval(timer);
  const after = cpuSeconds();
  const seconds = (performance.now() - started) / 1000;
  clients.kill();
  await server.stop(true);
  const megabytes = (published * frame.length * sockets) / 1e6;
  const cpu = after.user + after.system - before.user - before.system;
  return {
    frame_kb: Math.round(frame.length / 1024),
    frames_a_second: Number(values.rate),
    sockets,
    compress,
    mb_handed_to_sockets_a_second: Number((megabytes / seconds).toFixed(1)),
    user_ms_a_second: Math.round(((after.user - before.user) * 1000) / seconds),
    system_ms_a_second: Math.round(((after.system - before.system) * 1000) / seconds),
    cpu_us_per_mb: Math.round((cpu * 1e6) / megabytes),
  };
}
