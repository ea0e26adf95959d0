/**
 * The query endpoint (issue 12): 1,000,000 events over 30 days and 50 sites written straight into
 * a temporary database, then p50/p99 of 30-day one-dimension queries per site through the query
 * module (and through HTTP); and /api/collect (with enrichment) against /api/events in one run.
 *   bun bench/query.ts [--events 1000000] [--rounds 5] [--seconds 5] [--runs 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { StatsQueryInput } from "../schemas/stats-query.ts";
import { AnalyticsQuery } from "../services/analytics-query/analytics-query.ts";
import { openDatabase } from "../services/storage/database.ts";
import { QueryEventsCopy } from "../services/storage/query-events.ts";
import { BENCH_TOKEN, percentile, startFootfall, summarise } from "./lib/processes.ts";

const DAY_MS = 86_400_000;
const SOURCES = ["Google", "Direct / None", "newsletter", "Twitter", "bing.com", "GitHub"];
const COUNTRIES = ["US", "IN", "DE", "GB", "FR", "BR", "JP", "ES", "CA", "NL"];
const BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"];
const CHROME_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";

/** The queries measured: one dimension each, over 30 days, visit and event ones. */
const SPECS: Record<string, Omit<StatsQueryInput, "site">> = {
  source: {
    metrics: ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"],
    dimensions: ["source"],
  },
  page: { metrics: ["visitors", "pageviews"], dimensions: ["page"] },
  country: { metrics: ["visitors", "visits", "bounce_rate"], dimensions: ["country"] },
  "time:day": { metrics: ["visitors", "visits", "pageviews"], dimensions: ["time:day"] },
};

/** A small deterministic generator, so every run writes the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Writes `events` events (about 5 a visit) and their visits, straight into a new database. */
export function buildDatabase(dir: string, events: number, sites: number, now: number) {
  const db = openDatabase(dir, "normal", 2000);
  db.run("PRAGMA synchronous = OFF");
  const next = random(12);
  const start = Math.floor(now / DAY_MS) * DAY_MS - 29 * DAY_MS;
  const span = now - start - 3_600_000;
  const insertEvent = db.query(
    `INSERT INTO events (received_at, type, name, site, page, session_id, country, device, metadata,
       source, browser, os, visitor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, 'Windows', ?)`,
  );
  const insertProp = db.query(
    "INSERT INTO event_props (event_id, site, received_at, name, key, value) VALUES (?, ?, ?, 'signup', 'plan', ?)",
  );
  const insertVisit = db.query(
    `INSERT INTO sessions (session_id, started_at, ended_at, end_reason, site, country, device,
       entry_page, exit_page, page_views, journey, journey_truncated, last_activity, visitor_key,
       events, source, browser, os) VALUES (?, ?, ?, 'timeout', ?, ?, 'desktop', ?, ?, ?, '[]', 0, ?, ?, ?, ?, ?, 'Windows')`,
  );
  // Visits in order of their start, so the log's order is about the time's.
  const visits = Math.ceil(events / 3); // more than needed: about 5 events a visit
  const starts = Array.from({ length: visits }, () => start + Math.floor(next() * span)).sort(
    (a, b) => a - b,
  );
  let written = 0;
  const batch = db.transaction((from: number, to: number) => {
    for (let k = from; k < to && written < events; k++) {
      const site = `site-${k % sites}.example`;
      const startedAt = starts[k] as number;
      const visitor = `v-${Math.floor(next() * 20_000)}`;
      const source = SOURCES[Math.floor(next() * SOURCES.length)] as string;
      const country = COUNTRIES[Math.floor(next() * COUNTRIES.length)] as string;
      const browser = BROWSERS[Math.floor(next() * BROWSERS.length)] as string;
      const count = Math.min(events - written, 1 + Math.floor(next() * 9));
      let entry = "";
      let exit = "";
      let pageViews = 0;
      for (let j = 0; j < count; j++) {
        const at = startedAt + j * 30_000;
        const page = `/p/${Math.floor(next() * 200)}`;
        const custom = j === count - 1 && count > 1 && next() < 0.2;
        const { lastInsertRowid } = insertEvent.run(
          at,
          custom ? "custom" : "pageview",
          custom ? "signup" : null,
          site,
          page,
          `s-${k}`,
          country,
          "desktop",
          source,
          browser,
          visitor,
        );
        if (custom) insertProp.run(lastInsertRowid, site, at, next() < 0.5 ? "pro" : "free");
        else {
          pageViews++;
          if (entry === "") entry = page;
          exit = page;
        }
      }
      written += count;
      const last = startedAt + (count - 1) * 30_000;
      insertVisit.run(
        `s-${k}`,
        startedAt,
        last + 1_800_000,
        site,
        country,
        entry,
        exit,
        pageViews,
        last,
        visitor,
        count,
        source,
        browser,
      );
    }
  });
  for (let k = 0; written < events; k += 10_000) batch(k, k + 10_000);
  const lastId = (db.query("SELECT MAX(id) AS id FROM events").get() as { id: number }).id;
  // An empty snapshot at the last event: a server started on this database replays nothing.
  db.query("INSERT INTO snapshots (created_at, last_event_id, state) VALUES (?, ?, '{}')").run(
    now,
    lastId,
  );
  // The query endpoint's copy of the events, as the server's timer makes it (off the hot path).
  new QueryEventsCopy(() => db).copy();
  db.run("ANALYZE");
  return db;
}

const round = (value: number) => Math.round(value * 100) / 100;

export async function benchQuery(options: {
  events: number;
  sites: number;
  rounds: number;
  seconds: number;
  runs: number;
  connections: number;
}) {
  const dir = mkdtempSync(join(tmpdir(), "footfall-bench-query-"));
  const now = Date.now();
  try {
    const built = performance.now();
    const db = buildDatabase(dir, options.events, options.sites, now);
    const buildMs = Math.round(performance.now() - built);
    const analytics = new AnalyticsQuery(() => db, { now: () => now });
    const latencies: Record<string, number[]> = {};
    const all: number[] = [];
    for (let round = -1; round < options.rounds; round++) {
      for (let s = 0; s < options.sites; s++) {
        for (const [name, spec] of Object.entries(SPECS)) {
          const started = performance.now();
          await analytics.query({ site: `site-${s}.example`, date_range: "30d", ...spec });
          const ms = performance.now() - started;
          if (round < 0) continue; // the first round warms the page cache
          const samples = latencies[name] ?? [];
          samples.push(ms);
          latencies[name] = samples;
          all.push(ms);
        }
      }
    }
    db.close();
    const summary = (samples: number[]) => {
      samples.sort((a, b) => a - b);
      return {
        p50_ms: round(percentile(samples, 50)),
        p99_ms: round(percentile(samples, 99)),
        queries: samples.length,
      };
    };
    const perDimension = Object.fromEntries(
      Object.entries(latencies).map(([name, samples]) => [name, summary(samples)]),
    );
    const http = await overHttp(dir, Math.max(5, options.rounds * 10));
    const ratio = await collectRatio(options);
    return {
      events: options.events,
      sites: options.sites,
      days: 30,
      build_ms: buildMs,
      all: summary(all),
      per_dimension: perDimension,
      http,
      ...ratio,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same query through HTTP (a server started on the database), timed from the client. */
async function overHttp(dir: string, requests: number) {
  const server = await startFootfall({ DATA_DIR: dir });
  try {
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/analytics/query`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_TOKEN}` },
        body: JSON.stringify({
          site: `site-${i % 50}.example`,
          date_range: "30d",
          ...SPECS.source,
        }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`query answered ${response.status}`);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return {
      requests,
      p50_ms: round(percentile(samples, 50)),
      p99_ms: round(percentile(samples, 99)),
    };
  } finally {
    await server.stop();
  }
}

/**
 * One event per request to /api/events and to /api/collect (enriched), alternately on one server,
 * in ABBA order so neither always runs on the fuller server.
 */
export async function collectRatio(options: {
  seconds: number;
  runs: number;
  connections: number;
}) {
  const server = await startFootfall({ TRUST_PROXY: "true" });
  const load = async (path: string, headers: Record<string, string>) => {
    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "lib", "load-generator.ts"),
        `${server.url}${path}`,
        String(options.connections),
        String(options.seconds),
        "1",
      ],
      {
        stdout: "pipe",
        stderr: "inherit",
        env: { ...process.env, LOAD_HEADERS: JSON.stringify(headers) },
      },
    );
    const output = await new Response(child.stdout).text();
    await child.exited;
    return JSON.parse(output) as { requests_per_second: number; errors: number };
  };
  try {
    const events: number[] = [];
    const collect: number[] = [];
    const ratios: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const loadEnriched = () =>
        load("/api/collect", { "user-agent": CHROME_UA, "x-forwarded-for": `81.2.69.${run + 1}` });
      let plain: Awaited<ReturnType<typeof load>>;
      let enriched: Awaited<ReturnType<typeof load>>;
      if (run % 2 === 0) {
        plain = await load("/api/events", {});
        enriched = await loadEnriched();
      } else {
        enriched = await loadEnriched();
        plain = await load("/api/events", {});
      }
      if (enriched.errors > 0 || plain.errors > 0) throw new Error("the load met errors");
      events.push(plain.requests_per_second);
      collect.push(enriched.requests_per_second);
      ratios.push(enriched.requests_per_second / plain.requests_per_second);
    }
    return {
      events_requests_per_second: summarise(events),
      collect_requests_per_second: summarise(collect),
      collect_ratio_to_events: summarise(ratios, 3),
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      rounds: { type: "string", default: "5" },
      seconds: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
    },
  });
  const result = await benchQuery({
    events: Number(values.events),
    sites: 50,
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    runs: Number(values.runs),
    connections: 50,
  });
  console.log(JSON.stringify(result, null, 2));
}
