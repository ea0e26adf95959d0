import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderCluster } from "./cluster-report.ts";

type Stat = { median: number; min: number; max: number; runs: number };
export type Results = Record<string, unknown> & {
  date: string;
  machine: { cores: number; cpu: string; memory_gb: number; bun: string };
  load_generator: string;
  smoke: boolean;
};

const spread = (stat: Stat | undefined, unit = "") =>
  stat
    ? `${stat.median.toLocaleString("en-US")}${unit} (${stat.min.toLocaleString("en-US")}–${stat.max.toLocaleString("en-US")}, ${stat.runs} runs)`
    : "–";
const verdict = (met: boolean | undefined) =>
  met === undefined ? "–" : met ? "met" : "**not met**";

/** The Markdown table of BENCHMARKS.md, targets beside figures. */
export function renderMarkdown(results: Results): string {
  const single = results["ingest.single"] as Record<string, Stat> | undefined;
  const batch = results["ingest.batch"] as
    | { events_per_second: Stat; p99_ms: Stat; commit_share_of_time?: Stat }
    | undefined;
  const fanout = results.fanout as
    | { dashboards: number; rates: Record<string, number>[] }
    | undefined;
  const scale = results.scale as Record<string, unknown> | undefined;
  const restart = results.restart as
    | { events: number; replay_whole_log_ms: Stat; from_snapshot_ms: Stat }
    | undefined;
  const durability = results["ingest.durability"] as
    | Record<string, Record<string, Stat>>
    | undefined;
  const growth = results["ingest.growth"] as
    | { stored_events: number; ratio_full_to_empty: Stat }
    | undefined;
  const reads = scale?.reads_measured_from_client as
    | Record<string, { p50_ms: Stat; p99_ms: Stat }>
    | undefined;
  const fanoutAt1000 = fanout?.rates.find((rate) => rate.rate === 1000);

  const rows: string[][] = [["Part", "Figure", "Target", ""]];
  if (single) {
    const cpu = (name: string) =>
      single[`${name}_cpu_us_per_request`]
        ? `; server CPU ${spread(single[`${name}_cpu_us_per_request`], " µs")} a request`
        : "";
    rows.push([
      "1. Baselines, one event per request",
      `bare Bun.serve ${spread(single.bare_requests_per_second, " req/s")}${cpu("bare")}; Footfall's HTTP stack alone (Hono, every middleware, body limits, parsing, validation, the 201; no ingestion) ${spread(single.http_stack_requests_per_second, " req/s")}, ratio ${spread(single.http_stack_ratio_to_bare)}${cpu("http_stack")}`,
      "",
      "",
    ]);
    if (single.collect_ratio_to_bare) {
      rows.push([
        `1. /api/collect, one event per request (enriched, durable group commit, fan-out to ${single.dashboards} dashboards)`,
        `${spread(single.collect_requests_per_second, " req/s")}; p50 ${single.collect_p50_ms?.median} ms, p99 ${single.collect_p99_ms?.median} ms; **ratio ${spread(single.collect_ratio_to_bare)}**${cpu("collect")}`,
        "ratio ≥ 0.5",
        verdict((single.collect_ratio_to_bare?.median ?? 0) >= 0.5),
      ]);
    }
    rows.push([
      `1. /api/events, one event per request, the seed's answer (~1,000 pages a site; fan-out to ${single.dashboards} dashboards)`,
      `${spread(single.footfall_requests_per_second, " req/s")}; p50 ${single.footfall_p50_ms?.median} ms, p99 ${single.footfall_p99_ms?.median} ms; **ratio ${spread(single.ratio_to_bare)}**${cpu("footfall")}; group commit ${single.events_per_commit?.median} events per commit, ${((single.commit_share_of_time?.median ?? 0) * 100).toFixed(1)}% of the time committing`,
      "ratio ≥ 0.3",
      verdict((single.ratio_to_bare?.median ?? 0) >= 0.3),
    ]);
    if (single.events_minimal_ratio_to_bare) {
      rows.push([
        "1. /api/events with `Prefer: return=minimal` (same load)",
        `${spread(single.events_minimal_requests_per_second, " req/s")}; p99 ${single.events_minimal_p99_ms?.median} ms; ratio ${spread(single.events_minimal_ratio_to_bare)}${cpu("events_minimal")}`,
        "",
        "",
      ]);
    }
  }
  const middleware = results.middleware as
    | { micros_per_request: Record<string, { micros: number; added_micros: number }> }
    | undefined;
  if (middleware) {
    const costs = Object.entries(middleware.micros_per_request)
      .filter(([name]) => name !== "bare Hono")
      .map(([name, figures]) => `${name} +${figures.added_micros} µs`)
      .join("; ");
    rows.push([
      "1. Each middleware by ablation (in-process `app.request`, median of rounds)",
      `bare Hono ${middleware.micros_per_request["bare Hono"]?.micros} µs a request; ${costs}`,
      "",
      "",
    ]);
  }
  const stages = results.stages as { micros_per_event: Record<string, Stat> } | undefined;
  if (batch) {
    const perEvent = stages
      ? `; per event in-process: ${Object.entries(stages.micros_per_event)
          .map(([name, stat]) => `${name.replaceAll("_", " ")} ${stat.median} µs`)
          .join(", ")}`
      : "";
    rows.push([
      "2. Ingest, batches of 100",
      `${spread(batch.events_per_second, " events/s")}; p99 ${batch.p99_ms.median} ms; ${((batch.commit_share_of_time?.median ?? 0) * 100).toFixed(1)}% of the time committing${perEvent}`,
      "≥ 250,000 events/s",
      verdict(batch.events_per_second.median >= 250_000),
    ]);
  }
  for (const rate of fanout?.rates ?? []) {
    rows.push([
      `3. Fan-out to ${fanout?.dashboards} dashboards at ${rate.rate} events/s`,
      `p50 ${rate.p50_ms} ms, p99 ${rate.p99_ms} ms; delivered ${((rate.delivered_share ?? 0) * 100).toFixed(2)}% (${rate.dashboards_with_every_event}/${rate.dashboards} dashboards got every event)`,
      rate === fanoutAt1000 ? "p99 < 100 ms, every event" : "",
      rate === fanoutAt1000
        ? verdict((rate.p99_ms ?? Infinity) < 100 && rate.delivered_share === 1)
        : "",
    ]);
  }
  if (scale) {
    rows.push([
      "4. Memory",
      `RSS ${scale.rss_mb} MB (median while idle) after ${Number(scale.events).toLocaleString("en-US")} events, with ${Number(scale.active_sessions).toLocaleString("en-US")} active sessions, over ${scale.idle_seconds} s idle with a snapshot every 5 s (range ${(scale.rss_idle_range_mb as number[]).join("–")} MB; ${scale.rss_peak_mb} MB right after the burst; empty: ${scale.rss_empty_mb} MB; ${scale.bytes_per_active_session} bytes per active session)`,
      "< 150 MB",
      verdict(Number(scale.rss_mb) < 150),
    ]);
    const health = scale.idle_health_ms as { p50: number; p99: number; max: number } | undefined;
    if (health) {
      rows.push([
        "4. Snapshots of that state every 5 s, written in turns",
        `/health read every 5 ms while idle: p50 ${health.p50} ms, p99 ${health.p99} ms, slowest ${health.max} ms (the longest the event loop was held, garbage collection included)`,
        "slowest ≈ 50 ms",
        verdict(health.max <= 60),
      ]);
    }
  }
  for (const [path, latency] of Object.entries(reads ?? {})) {
    const isSummary = path.startsWith("/api/analytics/summary");
    const limit = isSummary ? 1 : 20;
    rows.push([
      `5. Read ${path}`,
      `p50 ${latency.p50_ms.median} ms, p99 ${spread(latency.p99_ms, " ms")} (${Number(scale?.reads_per_round).toLocaleString("en-US")} reads a round, from the client, HTTP included)`,
      `p99 < ${limit} ms`,
      verdict(latency.p99_ms.median < limit),
    ]);
  }
  const detailed = results.detailed as
    | {
        active_sessions: number;
        tracked_keys: number;
        health_baseline: { p99_ms: number };
        health_under_load: { p50_ms: number; p99_ms: number; requests: number };
        dashboards: Record<string, number>;
      }
    | undefined;
  if (detailed) {
    const { dashboards: asking, health_under_load: health } = detailed;
    rows.push([
      `8. /health while ${asking.dashboards} dashboards ask for detailed stats as fast as allowed (caps full: ${detailed.active_sessions.toLocaleString("en-US")} sessions, ${detailed.tracked_keys.toLocaleString("en-US")} keys)`,
      `p50 ${health.p50_ms} ms, p99 ${health.p99_ms} ms (${health.requests} reads; idle p99 ${detailed.health_baseline.p99_ms} ms); ${asking.answers} answers, ${asking.rate_limited} refused rate_limited, ${asking.distinct_answers_built} builds`,
      "p99 < 50 ms",
      verdict(health.p99_ms < 50),
    ]);
  }
  if (restart) {
    rows.push([
      `6. Restart with ${restart.events.toLocaleString("en-US")} of today's events`,
      `from a snapshot ${spread(restart.from_snapshot_ms, " ms")}; replaying the whole log ${spread(restart.replay_whole_log_ms, " ms")}`,
      "serving within 3 s",
      verdict(restart.from_snapshot_ms.median < 3000),
    ]);
  }
  for (const [mode, figures] of Object.entries(durability ?? {})) {
    rows.push([
      `7. DURABILITY=${mode}`,
      `one per request ${spread(figures.single_requests_per_second, " req/s")}; batches of 100 ${spread(figures.batch_events_per_second, " events/s")}`,
      "",
      "",
    ]);
  }
  const query = results.query as
    | {
        events: number;
        sites: number;
        all: { p50_ms: number; p99_ms: number; queries: number };
        per_dimension: Record<string, { p50_ms: number; p99_ms: number }>;
        http: { p50_ms: number; p99_ms: number; requests: number };
        collect_ratio_to_events: Stat;
        collect_requests_per_second: Stat;
        events_requests_per_second: Stat;
      }
    | undefined;
  if (query) {
    const dimensions = Object.entries(query.per_dimension)
      .map(([name, figures]) => `${name} p99 ${figures.p99_ms} ms`)
      .join(", ");
    rows.push([
      `9. POST /api/analytics/query, 30 days, one dimension, ${query.events.toLocaleString("en-US")} events over ${query.sites} sites`,
      `through the query module p50 ${query.all.p50_ms} ms, **p99 ${query.all.p99_ms} ms** (${query.all.queries} queries; ${dimensions}); through HTTP p50 ${query.http.p50_ms} ms, p99 ${query.http.p99_ms} ms (${query.http.requests} requests)`,
      "p99 < 50 ms",
      verdict(query.all.p99_ms < 50),
    ]);
    rows.push([
      "9. /api/collect (enriched) against /api/events, one event per request, same server",
      `${spread(query.collect_requests_per_second, " req/s")} against ${spread(query.events_requests_per_second, " req/s")}; **ratio ${spread(query.collect_ratio_to_events)}**`,
      "ratio ≥ 0.9",
      verdict(query.collect_ratio_to_events.median >= 0.9),
    ]);
  }
  if (growth) {
    rows.push([
      `Throughput with ${growth.stored_events.toLocaleString("en-US")} events stored`,
      `ratio to an empty store ${spread(growth.ratio_full_to_empty)}`,
      "≥ 0.9",
      verdict(growth.ratio_full_to_empty.median >= 0.9),
    ]);
  }

  const table = rows
    .map(
      (row, index) =>
        `| ${row.join(" | ")} |${index === 0 ? `\n|${" --- |".repeat(row.length)}` : ""}`,
    )
    .join("\n");
  const notesFile = join(import.meta.dir, "notes.md");
  const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, "utf8")}` : "";
  return `# Benchmarks

Measured ${results.date} on ${results.machine.cores} cores (${results.machine.cpu}), ${results.machine.memory_gb} GiB, Bun ${results.machine.bun}; load generator: ${results.load_generator}, one thread in its own process on the same machine, with no CPU pinning (parts 1 and 3 also run their dashboards in a third process). Shared, noisy machine: throughput is compared within one run (ratios) and given as a median with its range.

Command: \`npm run bench\` (\`bun bench/run.ts\`; \`-- --render\` rewrites this file from the last run). Parts alone: \`bun bench/ingest.ts\`, \`bun bench/stages.ts\`, \`bun bench/fanout.ts\`, \`bun bench/scale.ts\`, \`bun bench/restart.ts\`, \`bun bench/detailed-load.ts\`, \`bun bench/query.ts\`, at the table's sizes by default (the stored-events row comes only from the whole suite). Raw figures: \`bench/results/latest.json\`.

${table}
${renderCluster(results)}${notes}`;
}
