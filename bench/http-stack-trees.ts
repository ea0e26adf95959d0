/**
 * The HTTP stack's CPU per request, in-process, for working trees side by side: each tree's own
 * server (server.ts's fetch, Hono, every middleware, the route) answers the bench's events through
 * `server.fetch` (no sockets, so Bun's own HTTP work and `requestIP` are not in the figure), with
 * ingestion cut out as in lib/http-stack-server.ts (normalised and, for /api/collect, enriched;
 * nothing committed). Rounds alternate the trees; the figure is the median CPU µs a request
 * (process.cpuUsage), with its range.
 *   bun bench/http-stack-trees.ts [--trees /tmp/before,/work/main] [--path /api/events]
 *                                 [--requests 10000] [--rounds 11]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sampleEvent } from "./lib/events.ts";
import { cutIngestion } from "./lib/ingestion-cut.ts";
import { BENCH_TOKEN, ROOT, summarise } from "./lib/processes.ts";

/** A desktop browser's User-Agent: /api/collect drops a bot's events unenriched. */
const BROWSER =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";

interface TreeServer {
  tree: string;
  url: string;
  fetch(request: Request): Promise<Response>;
  stop(): Promise<void>;
}

async function serverOf(tree: string): Promise<TreeServer> {
  const [{ loadConfig }, { startServer }, { toVisitorEvent }] = await Promise.all([
    import(`${tree}/config/index.ts`),
    import(`${tree}/server.ts`),
    import(`${tree}/services/event-normalizer.ts`),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), "footfall-bench-trees-"));
  const running = startServer(
    loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      API_TOKEN: BENCH_TOKEN,
      LOG_LEVEL: "warn",
      RATE_LIMIT_PER_MINUTE: "0",
    }),
  );
  cutIngestion(running.services.ingestion, toVisitorEvent);
  return {
    tree,
    url: running.url,
    fetch: async (request) => running.server.fetch(request),
    async stop() {
      await running.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let sent = 0;

/** CPU µs a request over `requests` POSTs of one bench event each, as a client sends them. */
async function cpuMicrosPerRequest(server: TreeServer, path: string, requests: number) {
  const started = process.cpuUsage();
  for (let index = 0; index < requests; index++) {
    const body = JSON.stringify(sampleEvent(sent++));
    const response = await server.fetch(
      new Request(server.url + path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": BROWSER,
        },
        body,
      }),
    );
    await response.arrayBuffer();
    if (response.status >= 300)
      throw new Error(`${server.tree}: ${path} answered ${response.status}`);
  }
  const { user, system } = process.cpuUsage(started);
  return (user + system) / requests;
}

export async function benchHttpStackTrees(options: {
  trees: string[];
  path: string;
  requests: number;
  rounds: number;
}) {
  const servers: TreeServer[] = [];
  for (const tree of options.trees) servers.push(await serverOf(tree));
  try {
    for (const server of servers) await cpuMicrosPerRequest(server, options.path, 3000);
    const samples = servers.map(() => [] as number[]);
    for (let round = 0; round < options.rounds; round++) {
      const order = servers.map((_, index) => index);
      if (round % 2 === 1) order.reverse();
      for (const index of order) {
        Bun.gc(true);
        const micros = await cpuMicrosPerRequest(
          servers[index] as TreeServer,
          options.path,
          options.requests,
        );
        samples[index]?.push(micros);
      }
    }
    return {
      path: options.path,
      requests: options.requests,
      cpu_us_per_request: Object.fromEntries(
        servers.map((server, index) => [server.tree, summarise(samples[index] ?? [], 2)]),
      ),
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      trees: { type: "string", default: ROOT },
      path: { type: "string", default: "/api/events" },
      requests: { type: "string", default: "10000" },
      rounds: { type: "string", default: "11" },
    },
  });
  const result = await benchHttpStackTrees({
    trees: values.trees.split(","),
    path: values.path,
    requests: Number(values.requests),
    rounds: Number(values.rounds),
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
