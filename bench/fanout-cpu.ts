import { parseArgs } from "node:util";
import { DashboardFleet } from "./lib/dashboard-process.ts";
import { runLoad } from "./lib/load.ts";
import { BENCH_TOKEN, ROOT, startFootfall, summarise } from "./lib/processes.ts";

/** A desktop browser's User-Agent: /api/collect drops a bot's (every HTTP library's) events. */
const BROWSER =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";

interface Options {
  dashboards: number;
  rounds: number;
  seconds: number;
  connections: number;
  path: string;
  trees: string[];
  profileDir?: string;
}

async function measure(tree: string, dashboards: number, options: Options) {
  const server = await startFootfall(
    {},
    {
      tree,
      bunFlags: options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [],
    },
  );
  const fleet =
    dashboards > 0
      ? await DashboardFleet.start(
          `${server.url.replace("http", "ws")}/ws?token=${BENCH_TOKEN}`,
          dashboards,
        )
      : undefined;
  try {
    const before = server.cpuTimes();
    const load = await runLoad({
      url: server.url,
      connections: options.connections,
      seconds: options.seconds,
      path: options.path,
      headers: { "user-agent": BROWSER },
    });
    const after = server.cpuTimes();
    const perRequest = (seconds: number) => (seconds * 1e6) / load.requests;
    return {
      cpuMicrosPerRequest: perRequest(after.user + after.system - before.user - before.system),
      systemMicrosPerRequest: perRequest(after.system - before.system),
      requestsPerSecond: load.requests_per_second,
    };
  } finally {
    await fleet?.stop();
    await server.stop();
  }
}

export async function benchFanOutCpu(options: Options) {
  const samples: Record<string, number[]> = {};
  const add = (name: string, value: number) => {
    samples[name] ??= [];
    samples[name].push(value);
  };
  for (let round = 0; round < options.rounds; round++) {
    for (const [index, tree] of options.trees.entries()) {
      const without = await measure(tree, 0, options);
      const withDashboards = await measure(tree, options.dashboards, options);
      const name = options.trees.length > 1 ? `tree${index}_` : "";
      add(`${name}cpu_us_per_request_without`, without.cpuMicrosPerRequest);
      add(`${name}cpu_us_per_request_with`, withDashboards.cpuMicrosPerRequest);
      add(
        `${name}fanout_cpu_us_per_request`,
        withDashboards.cpuMicrosPerRequest - without.cpuMicrosPerRequest,
      );
      add(`${name}system_us_per_request_without`, without.systemMicrosPerRequest);
      add(`${name}system_us_per_request_with`, withDashboards.systemMicrosPerRequest);
      add(`${name}requests_per_second_without`, without.requestsPerSecond);
      add(`${name}requests_per_second_with`, withDashboards.requestsPerSecond);
    }
  }
  const figures: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, values] of Object.entries(samples)) figures[name] = summarise(values, 1);
  return { trees: options.trees, dashboards: options.dashboards, path: options.path, ...figures };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      dashboards: { type: "string", default: "100" },
      rounds: { type: "string", default: "5" },
      seconds: { type: "string", default: "4" },
      connections: { type: "string", default: "50" },
      path: { type: "string", default: "/api/collect" },
      trees: { type: "string", default: ROOT },
      profile: { type: "string" },
    },
  });
  const result = await benchFanOutCpu({
    dashboards: Number(values.dashboards),
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    path: String(values.path),
    trees: String(values.trees).split(","),
    profileDir: values.profile,
  });
  console.log(JSON.stringify(result, null, 2));
}
