/** What the soak reads off the server every interval, and the CSV it writes. */
import { Database } from "bun:sqlite";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { percentile } from "../../bench/lib/processes.ts";

export interface Sample {
  elapsed_s: number;
  rss_mb: number;
  heap_used_mb: number;
  heap_total_mb: number;
  health_p50_ms: number;
  health_p99_ms: number;
  health_failures: number;
  /** footfall.db and its -wal file, when the data directory is known; bytes per stored event. */
  db_mb: number | null;
  wal_mb: number | null;
  snapshots: number | null;
  events_sent: number;
  events_acked: number;
  events_failed: number;
  frames: number;
  dashboards_open: number;
  db_bytes_per_event: number | null;
}

export const CSV_COLUMNS: (keyof Sample)[] = [
  "elapsed_s",
  "rss_mb",
  "heap_used_mb",
  "heap_total_mb",
  "health_p50_ms",
  "health_p99_ms",
  "health_failures",
  "db_mb",
  "wal_mb",
  "snapshots",
  "events_sent",
  "events_acked",
  "events_failed",
  "frames",
  "dashboards_open",
  "db_bytes_per_event",
];

export const csvHeader = () => `${CSV_COLUMNS.join(",")}\n`;
export const csvRow = (sample: Sample) =>
  `${CSV_COLUMNS.map((column) => sample[column] ?? "").join(",")}\n`;

const MB = 1024 * 1024;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const HEALTH_PROBE_MS = 200;

/** Probes /health every 200 ms; `take` gives the interval's latencies and starts a new one. */
export class HealthProbe {
  private latencies: number[] = [];
  private failures = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private busy = false;

  constructor(url: string) {
    this.timer = setInterval(async () => {
      if (this.busy) return;
      this.busy = true;
      const started = performance.now();
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        if (response.ok) this.latencies.push(performance.now() - started);
        else this.failures++;
      } catch {
        this.failures++;
      }
      this.busy = false;
    }, HEALTH_PROBE_MS);
  }

  take(): { p50: number; p99: number; failures: number } {
    const sorted = this.latencies.sort((a, b) => a - b);
    const result = {
      p50: round(percentile(sorted, 50), 2),
      p99: round(percentile(sorted, 99), 2),
      failures: this.failures,
    };
    this.latencies = [];
    this.failures = 0;
    return result;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** VmRSS of a local process, in bytes. */
export function rssOfPid(pid: number): number | undefined {
  const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** /api/status's memory figures (bytes). */
export async function serverMemory(
  url: string,
  token: string,
): Promise<{ rss: number; heap_used: number; heap_total: number }> {
  const response = await fetch(`${url}/api/status`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`/api/status answered ${response.status}`);
  const body = (await response.json()) as {
    data: { memory: { rss: number; heap_used: number; heap_total: number } };
  };
  return body.data.memory;
}

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);

/** Database and WAL sizes, and the snapshot rows, read with a read-only connection. */
export function databaseFigures(dataDir: string) {
  const file = join(dataDir, "footfall.db");
  let snapshots: number | null = null;
  let storedEvents = 0;
  if (existsSync(file)) {
    const db = new Database(file, { readonly: true });
    try {
      snapshots = (db.query("SELECT COUNT(*) AS n FROM snapshots").get() as { n: number }).n;
      storedEvents =
        (db.query("SELECT MAX(id) AS id FROM events").get() as { id: number | null }).id ?? 0;
    } finally {
      db.close();
    }
  }
  return { dbBytes: sizeOf(file), walBytes: sizeOf(`${file}-wal`), snapshots, storedEvents };
}

export function sampleOf(figures: {
  elapsedMs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  health: { p50: number; p99: number; failures: number };
  db?: ReturnType<typeof databaseFigures>;
  sent: number;
  acked: number;
  failed: number;
  frames: number;
  dashboardsOpen: number;
}): Sample {
  const { db } = figures;
  return {
    elapsed_s: round(figures.elapsedMs / 1000),
    rss_mb: round(figures.rss / MB),
    heap_used_mb: round(figures.heapUsed / MB),
    heap_total_mb: round(figures.heapTotal / MB),
    health_p50_ms: figures.health.p50,
    health_p99_ms: figures.health.p99,
    health_failures: figures.health.failures,
    db_mb: db ? round(db.dbBytes / MB, 2) : null,
    wal_mb: db ? round(db.walBytes / MB, 2) : null,
    snapshots: db?.snapshots ?? null,
    events_sent: figures.sent,
    events_acked: figures.acked,
    events_failed: figures.failed,
    frames: figures.frames,
    dashboards_open: figures.dashboardsOpen,
    db_bytes_per_event:
      db && db.storedEvents > 0 ? Math.round((db.dbBytes + db.walBytes) / db.storedEvents) : null,
  };
}
