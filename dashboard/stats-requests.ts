import { apiGet } from "./api.ts";
import type { ClientMessage, DimensionFilter } from "./protocol.ts";
import type { DashboardState, MinutePoint } from "./state.ts";

/**
 * Least time between two stats requests prompted by frames (ended sessions, dropped events): with
 * the 5 s refresh that is at most 42 a minute, inside the server's WS_DETAILED_STATS_PER_MINUTE (60).
 */
const STATS_THROTTLE_MS = 2_000;
/** The chart's widest range; the history fetched on connect covers it. */
const HISTORY_MINUTES = 60;
const MINUTE_MS = 60_000;

/** The Live view's requests for figures: detailed stats over the socket, the chart's last hour over HTTP. */
export class StatsRequests {
  private last = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly state: DashboardState,
    private readonly send: (message: ClientMessage) => void,
  ) {}

  /** The full figures for the current filter; `detailed_stats_response` answers. */
  now(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    this.send({ type: "request_detailed_stats", data: { filter: this.state.filter } });
  }

  /** As `now`, at most once per STATS_THROTTLE_MS; a request held back is sent later. */
  soon(): void {
    if (this.timer !== undefined) return;
    const wait = this.last + STATS_THROTTLE_MS - Date.now();
    if (wait <= 0) this.now();
    else this.timer = setTimeout(() => this.now(), wait);
  }

  /** The last hour of visitors per minute from storage, so the chart does not start empty. */
  async minuteHistory(token: string): Promise<void> {
    const filter: DimensionFilter = this.state.filter;
    const now = Date.now();
    const from = Math.floor(now / MINUTE_MS) * MINUTE_MS - (HISTORY_MINUTES - 1) * MINUTE_MS;
    const query = new URLSearchParams({
      interval: "minute",
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
    });
    for (const key of ["site", "country", "page"] as const) {
      const value = filter[key];
      if (value !== undefined) query.set(key, value);
    }
    const answer = await apiGet<{ points: MinutePoint[] }>(
      token,
      `/api/analytics/timeseries?${query}`,
    );
    if (answer.ok) this.state.applyHistory(filter, answer.data.points);
  }
}
