import type { AnalyticsStore } from "./analytics-store.ts";
import type { EndedSession, EventStep, Projection, Step } from "./pipeline/step.ts";
import type { Session } from "./session.ts";
import type { VisitRecord } from "./storage/session-archive.ts";

/** Sessions written a turn by the timer's flush: a few ms of SQLite work. */
export const FLUSH_SLICE = 2_000;

interface Changed {
  session: Session;
  /** Set once the session ended after it changed (its final row). */
  ended?: { reason: string; endedAt: number };
}

/**
 * Keeps the `sessions` table right to the last event: remembers which live sessions changed (by
 * id, O(1) an event) and `flush` upserts their current state, as `active` rows until they end
 * (the archive's final row, same primary key, replaces them). Nothing of it is in snapshots:
 * start-up marks every restored session changed, and the replay marks the rest.
 */
export class VisitRollup implements Projection {
  readonly name = "visit-rollup";
  private changed = new Map<string, Changed>();

  constructor(
    private readonly live: AnalyticsStore,
    private readonly write: (visits: readonly VisitRecord[]) => void,
  ) {}

  apply(step: EventStep): void {
    this.noteEnded(step.ended);
    const session = this.live.sessions.get(step.committed.event.session_id, step.now);
    if (session) this.changed.set(session.session_id, { session });
  }

  tick(step: Step): void {
    this.noteEnded(step.ended);
  }

  /** Every active session is written at the next flush (after a restore from a snapshot). */
  markAllActive(now: number): void {
    for (const session of this.live.sessions.list({}, Number.POSITIVE_INFINITY, now))
      this.changed.set(session.session_id, { session });
  }

  /** Sessions changed since the last flush, waiting to be written. */
  get pending(): number {
    return this.changed.size;
  }

  /**
   * Upserts what changed (at most `limit` sessions, the longest waiting first); kept for the next
   * attempt when the write throws.
   */
  flush(limit = Number.POSITIVE_INFINITY): void {
    if (this.changed.size === 0) return;
    let taken: Map<string, Changed>;
    if (this.changed.size <= limit) {
      taken = this.changed;
      this.changed = new Map();
    } else {
      taken = new Map();
      for (const [id, entry] of this.changed) {
        if (taken.size >= limit) break;
        taken.set(id, entry);
      }
      for (const id of taken.keys()) this.changed.delete(id);
    }
    try {
      this.write([...taken.values()].map(toRecord));
    } catch (error) {
      for (const [id, entry] of taken) if (!this.changed.has(id)) this.changed.set(id, entry);
      throw error;
    }
  }

  /**
   * The timer's flush: what changed, a slice a turn, so that a burst that touched 100,000
   * sessions never holds the event loop for one long write (reads still flush all at once).
   */
  async flushInSlices(slice = FLUSH_SLICE): Promise<void> {
    for (let turns = Math.ceil(this.changed.size / slice); turns > 0; turns--) {
      this.flush(slice);
      if (turns > 1) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private noteEnded(ended: readonly EndedSession[]): void {
    for (const { session, reason, endedAt } of ended) {
      const entry = this.changed.get(session.session_id);
      if (entry && entry.session.started_at === Date.parse(session.started_at))
        entry.ended = { reason, endedAt };
    }
  }
}

function toRecord({ session, ended }: Changed): VisitRecord {
  return {
    session_id: session.session_id,
    started_at: session.started_at,
    ended_at: ended?.endedAt ?? session.last_activity,
    end_reason: ended?.reason ?? "active",
    site: session.site,
    country: session.country,
    device: session.device,
    entry_page: session.entry_page,
    exit_page: session.current_page,
    page_views: session.page_views,
    journey: session.journey.slice(),
    journey_truncated: session.journey_truncated,
    last_activity: session.last_activity,
    visitor_key: session.visitor_key,
    events: session.events,
    title: session.title,
    source: session.source,
    referrer: session.referrer,
    utm_source: session.utm_source,
    utm_medium: session.utm_medium,
    utm_campaign: session.utm_campaign,
    utm_content: session.utm_content,
    utm_term: session.utm_term,
    browser: session.browser,
    os: session.os,
    region: session.region,
    city: session.city,
  };
}
