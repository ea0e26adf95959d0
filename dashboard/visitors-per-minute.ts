const MINUTE_MS = 60_000;

export interface MinuteSeries {
  /** Start of each minute, in seconds since the epoch (uPlot's time scale). */
  minutes: number[];
  visitors: number[];
}

/**
 * Distinct sessions per minute, counted from the events this dashboard receives. Minutes come
 * from the server's receive time; one the browser's clock has not reached yet (a server clock a
 * little ahead) is counted in the current minute rather than drawn in the future.
 */
export class VisitorsPerMinute {
  private readonly minutes = new Map<number, Set<string>>();
  /**
   * Counts from the stored history (minutes before this page opened). They carry no session ids,
   * so a minute shows the larger of its stored count and the sessions seen live.
   */
  private readonly stored = new Map<number, number>();

  constructor(private readonly keepMinutes = 60) {}

  add(sessionId: string, receivedAt: number): void {
    if (!Number.isFinite(receivedAt)) return;
    const minute = Math.floor(receivedAt / MINUTE_MS);
    let sessions = this.minutes.get(minute);
    if (!sessions) {
      sessions = new Set();
      this.minutes.set(minute, sessions);
    }
    sessions.add(sessionId);
  }

  /** A minute's distinct visitors as the history API counted them; `minuteStart` in ms. */
  setStored(minuteStart: number, visitors: number): void {
    if (!Number.isFinite(minuteStart)) return;
    this.stored.set(Math.floor(minuteStart / MINUTE_MS), visitors);
  }

  /** The last `range` minutes up to and including the one `now` falls in. */
  series(now: number, range: number): MinuteSeries {
    const current = Math.floor(now / MINUTE_MS);
    this.forgetBefore(current - this.keepMinutes);
    const minutes: number[] = [];
    const visitors: number[] = [];
    for (let minute = current - range + 1; minute <= current; minute++) {
      minutes.push((minute * MINUTE_MS) / 1000);
      const live = this.minutes.get(minute)?.size ?? 0;
      visitors.push(Math.max(live, this.stored.get(minute) ?? 0));
    }
    const ahead = [...this.minutes].filter(([minute]) => minute > current);
    if (ahead.length > 0) {
      const merged = new Set(this.minutes.get(current));
      for (const [, sessions] of ahead) for (const id of sessions) merged.add(id);
      visitors[visitors.length - 1] = Math.max(merged.size, this.stored.get(current) ?? 0);
    }
    return { minutes, visitors };
  }

  clear(): void {
    this.minutes.clear();
    this.stored.clear();
  }

  private forgetBefore(minute: number): void {
    for (const key of this.minutes.keys()) if (key < minute) this.minutes.delete(key);
    for (const key of this.stored.keys()) if (key < minute) this.stored.delete(key);
  }
}
