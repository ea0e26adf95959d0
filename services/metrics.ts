import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the live parts report; read when Prometheus scrapes, never on the hot path. */
export interface MetricSources {
  dashboardsConnected(): number;
  /** Cumulative figures of the realtime hub (see RealtimeHub.stats). */
  hub(): {
    slow_readers_dropped: number;
    visitor_batches_sent: number;
    events_coalesced: number;
    batch_events_dropped: number;
  };
  liveState(): { bytes: number; activeSessions: number };
  storageDegraded(): boolean;
  botsFiltered(): number;
  /** Cluster mode only: how far this instance is behind the stream, and the archive behind it. */
  cluster?(): { lagEvents: number; lagMs: number; archiveLagEvents: number } | undefined;
}

/** A log that can say how long each commit (or XADD group) took. */
export interface TimedLog {
  onCommitTimed(listener: (seconds: number, requests: number) => void): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Footfall's Prometheus metrics (`GET /metrics`): counters kept as requests go, gauges and
 * cumulative figures read from the parts at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly acceptedByRoute = new Map<string, number>();
  private readonly refused: Counter<"route" | "reason">;
  private readonly commitSeconds: Histogram;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const acceptedByRoute = this.acceptedByRoute;
    const reportedByRoute = new Map<string, number>();
    // Counted in a plain Map per request (prom-client hashes the labels on every inc), reported at scrape time.
    new Counter({
      name: "footfall_events_accepted_total",
      help: "Events accepted (acknowledged durable), by ingestion route",
      labelNames: ["route"],
      registers,
      collect() {
        for (const [route, total] of acceptedByRoute) {
          const reported = reportedByRoute.get(route) ?? 0;
          if (total > reported) this.inc({ route }, total - reported);
          reportedByRoute.set(route, total);
        }
      },
    });
    this.refused = new Counter({
      name: "footfall_events_refused_total",
      help: "Ingestion requests refused, by route and reason (the error code)",
      labelNames: ["route", "reason"],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: "footfall_commit_duration_seconds",
      help: "Time to make one group of events durable (SQLite commit, or Redis XADD group)",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    gauge(registers, "footfall_dashboards_connected", "Dashboards connected to this instance", () =>
      sources.dashboardsConnected(),
    );
    gauge(
      registers,
      "footfall_live_state_bytes",
      "Estimated bytes of the live sessions",
      () => sources.liveState().bytes,
    );
    gauge(
      registers,
      "footfall_active_sessions",
      "Sessions active in the last 30 minutes",
      () => sources.liveState().activeSessions,
    );
    gauge(registers, "footfall_storage_degraded", "1 while the event log cannot write", () =>
      sources.storageDegraded() ? 1 : 0,
    );
    cumulative(registers, "footfall_bots_filtered_total", "Events dropped as bots'", () =>
      sources.botsFiltered(),
    );
    cumulative(
      registers,
      "footfall_frames_coalesced_total",
      "visitor_batch frames sent to batching dashboards",
      () => sources.hub().visitor_batches_sent,
    );
    cumulative(
      registers,
      "footfall_events_coalesced_total",
      "Events carried in visitor_batch frames",
      () => sources.hub().events_coalesced,
    );
    cumulative(
      registers,
      "footfall_frame_events_dropped_total",
      "Events left out of full visitor_batch frames",
      () => sources.hub().batch_events_dropped,
    );
    cumulative(
      registers,
      "footfall_slow_dashboards_dropped_total",
      "Dashboards disconnected for reading too slowly",
      () => sources.hub().slow_readers_dropped,
    );
    if (sources.cluster) {
      const cluster = sources.cluster;
      gauge(
        registers,
        "footfall_stream_lag_events",
        "Events this instance is behind the stream",
        () => cluster()?.lagEvents ?? 0,
      );
      gauge(
        registers,
        "footfall_stream_lag_seconds",
        "How far behind the stream's head, in time",
        () => (cluster()?.lagMs ?? 0) / 1000,
      );
      gauge(
        registers,
        "footfall_archive_lag_events",
        "Events in the stream not yet archived",
        () => cluster()?.archiveLagEvents ?? 0,
      );
    }
  }

  /** Times every commit of `log` from now on. */
  timeCommits(log: Partial<TimedLog>): void {
    log.onCommitTimed?.((seconds) => this.commitSeconds.observe(seconds));
  }

  eventsAccepted(route: string, count: number): void {
    this.acceptedByRoute.set(route, (this.acceptedByRoute.get(route) ?? 0) + count);
  }

  requestRefused(route: string, reason: string): void {
    this.refused.inc({ route, reason });
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

/** A counter whose total the part keeps: read at scrape time, never decreasing. */
function cumulative(registers: Registry[], name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const total = read();
      if (total > reported) this.inc(total - reported);
      reported = Math.max(reported, total);
    },
  });
}
