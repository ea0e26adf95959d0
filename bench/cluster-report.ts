import type { ClusterCosts } from "./cluster.ts";

type Stat = { median: number; min: number; max: number; runs: number };
interface ClusterResults {
  skipped?: string;
  throughput: {
    single_requests_per_second: Stat;
    cluster_requests_per_second: Stat;
    ratio_cluster_to_single: Stat;
    single_cpu_us_per_request: Stat;
    cluster_cpu_us_per_request: Stat;
    connections: number;
    seconds: number;
  };
  lag: {
    rate: number;
    seconds: number;
    acknowledged: number;
    framed_on_b: number;
    shown_on_b_before_the_201: number;
    p50_ms: number;
    p99_ms: number;
    max_ms: number;
  };
  measured: Record<string, Stat | number>;
  costs: ClusterCosts;
  model: {
    instances: number;
    events_per_second: number;
    bound_by: string;
    ceilings: Record<string, number>;
  }[];
}

const number = (value: number) => value.toLocaleString("en-US");
const spread = (stat: Stat, unit = "") =>
  `${number(stat.median)}${unit} (${number(stat.min)}–${number(stat.max)}, ${stat.runs} runs)`;
const verdict = (met: boolean) => (met ? "met" : "**not met**");

/** BENCHMARKS.md's "Cluster" section, from the results of bench/cluster.ts ("" when not run). */
export function renderCluster(results: Record<string, unknown>): string {
  const cluster = results.cluster as ClusterResults | undefined;
  if (!cluster) return "";
  if (cluster.skipped) return `\n## Cluster\n\nNot measured: ${cluster.skipped}.\n`;
  const { throughput, lag, costs, model } = cluster;
  const rows = [
    ["Part", "Figure", "Target", ""],
    [
      `C1. One instance in cluster mode against the single process, one event per request (${throughput.connections} connections, ${throughput.seconds} s a run, ABBA)`,
      `cluster ${spread(throughput.cluster_requests_per_second, " req/s")} against single ${spread(throughput.single_requests_per_second, " req/s")}: **ratio ${spread(throughput.ratio_cluster_to_single)}**; the server's CPU ${throughput.cluster_cpu_us_per_request.median} µs a request against ${throughput.single_cpu_us_per_request.median} µs`,
      "ratio ≥ 0.7",
      verdict(throughput.ratio_cluster_to_single.median >= 0.7),
    ],
    [
      `C2. Lag from A's 201 to the event's frame on a dashboard of B, ${number(lag.rate)} events/s for ${lag.seconds} s`,
      `p50 ${lag.p50_ms} ms, **p99 ${lag.p99_ms} ms**, slowest ${lag.max_ms} ms (${number(lag.framed_on_b)} of ${number(lag.acknowledged)} acknowledged events framed on B; ${number(lag.shown_on_b_before_the_201)} shown on B before A's 201 reached the client, counted as 0)`,
      "p99 < 50 ms",
      verdict(lag.p99_ms < 50),
    ],
    [
      "C3. Per-event costs (medians)",
      `HTTP and validation (and the append's client side) ${costs.http_and_validation_us} µs of an instance's CPU; applying ${costs.apply_us} µs on every instance (its share of archiving included); Redis ${costs.redis_append_us} µs to append plus ${costs.redis_per_tail_us} µs per tail reading it; Postgres ${costs.postgres_archive_us} µs active per archived event`,
      "",
      "",
    ],
  ];
  const table = (lines: string[][]) =>
    lines
      .map(
        (row, index) =>
          `| ${row.join(" | ")} |${index === 0 ? `\n|${" --- |".repeat(row.length)}` : ""}`,
      )
      .join("\n");
  const modelRows = [
    ["Instances", "Events/s", "Bound by", "Instances' ceiling", "Redis's", "Postgres's"],
    ...model.map((size) => [
      String(size.instances),
      number(size.events_per_second),
      size.bound_by,
      number(size.ceilings.instances ?? 0),
      number(size.ceilings.redis ?? 0),
      number(size.ceilings.postgres ?? 0),
    ]),
  ];
  return `
## Cluster

Command: \`bun run bench -- --only cluster\` (or \`bun bench/cluster.ts\`): a redis-server with
\`appendfsync always\` and a Postgres (fsync off, as the tests run it) on the same machine as the
instances and the load generator.

${table(rows)}

### Scaling model: 2, 4 and 8 instances on machines of their own

From the per-event costs above, one core an instance, Redis one primary on one core, Postgres one
archiving stream: an instance spends HTTP and validation on its share of the events
(${costs.http_and_validation_us} µs ÷ n) and applies every event (${costs.apply_us} µs), so the
instances together take at most 1 / (${costs.http_and_validation_us}/n + ${costs.apply_us}) µs,
which never passes 1/apply = ${number(Math.round(1e6 / Math.max(costs.apply_us, 0.001)))} events/s
however many there are; Redis appends each event once and hands it to n tails; Postgres archives
each event once.

${table(modelRows)}

${conclusion(cluster)}
`;
}

/** Where the model stops scaling (the first size gaining under 10%) and what bounds it. */
function conclusion({ model, costs }: ClusterResults): string {
  const stall = model.find(
    (size, index) =>
      index > 0 && size.events_per_second < (model[index - 1]?.events_per_second ?? 0) * 1.1,
  );
  const last = model.at(-1);
  if (!last) return "";
  const why: Record<string, string> = {
    instances: `every instance applies every event (${costs.apply_us} µs), so adding instances only divides the HTTP share`,
    redis: `one Redis primary appends each event (${costs.redis_append_us} µs) and serves it to every tail (${costs.redis_per_tail_us} µs each), a cost that grows with the instances`,
    postgres: `every event is archived once into one Postgres (${costs.postgres_archive_us} µs of active time each, the visits and snapshots written beside them included)`,
  };
  const where = stall
    ? `It stops scaling at ${stall.instances} instances (${number(stall.events_per_second)} events/s, bound by ${stall.bound_by}): ${why[stall.bound_by]}.`
    : "It still scales at the largest size modelled.";
  const values = Object.values(last.ceilings);
  const factor = (Math.max(...values) / Math.max(1, Math.min(...values))).toFixed(1);
  const ceilings = Object.entries(last.ceilings)
    .map(([name, value]) => `${name} ${number(value)}`)
    .join(", ");
  return `${where} At ${last.instances} instances the ceilings are ${ceilings} events/s: past Postgres, Redis's fan-out to the tails and the applying on every instance come next, all within a factor of ${factor}, so scaling out buys availability and more dashboards and reads, not ingest beyond about ${number(Math.round(1e6 / Math.max(costs.apply_us, 0.001)))} events/s (1/apply). One event per request is the costliest shape: batches divide the HTTP, append and read costs by the batch size, leaving applying (every instance) and archiving (once) as the ceilings.`;
}
