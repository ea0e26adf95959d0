import type { AnalyticsStore } from "./analytics-store.ts";
import type { EndedSession, EventStep, Projection, Step } from "./pipeline/step.ts";
import type { Session } from "./session.ts";
import type { VisitRecord } from "./storage/session-archive.ts";

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

  /** Upserts what changed; kept for the next attempt when the write throws. */
  flush(): void {
    if (this.changed.size === 0) return;
    const changed = this.changed;
    this.changed = new Map();
    try {
      this.write([...changed.values()].map(toRecord));
    } catch (error) {
      for (const [id, entry] of changed) if (!this.changed.has(id)) this.changed.set(id, entry);
      throw error;
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
