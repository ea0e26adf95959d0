const MINUTE_MS = 60_000;

/**
 * What Clear view leaves out: events received (server time) at or before the newest one seen when
 * it was pressed, and stored minutes starting at or before the minute it was pressed in.
 */
export class ClearMarks {
  /** Server time (ms) of the newest event seen; 0 before any. */
  newestSeen = 0;
  private clearedAt = 0;
  private historyCutoff = 0;

  /** An event received at this server time. */
  see(at: number): void {
    if (at > this.newestSeen) this.newestSeen = at;
  }

  clear(now: number): void {
    this.clearedAt = this.newestSeen;
    // Stored minutes up to now stay out too, even if no event had arrived yet.
    this.historyCutoff = Math.max(this.newestSeen, now);
  }

  keepsEvent(receivedAt: number): boolean {
    return receivedAt > this.clearedAt;
  }

  keepsStoredMinute(start: number): boolean {
    if (this.historyCutoff === 0) return true;
    const clearedMinute = Math.floor(this.historyCutoff / MINUTE_MS) * MINUTE_MS;
    return start > clearedMinute;
  }
}
