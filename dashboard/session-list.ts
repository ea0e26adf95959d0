import type { SessionActivity, SessionView, ShownEvent } from "./protocol.ts";
import type { ViewChanges } from "./view-changes.ts";

/** Sessions remembered for the list; the server keeps them all, this is only the view. */
export const SESSION_LIMIT = 1000;

export interface SessionRow extends SessionActivity {
  /** Server time (ms) of its latest event; orders the list. */
  lastSeen: number;
}

/** The active sessions this view lists, and the one selected to show its journey. */
export class SessionList {
  readonly rows = new Map<string, SessionRow>();
  selected: string | undefined;
  /** The selected session as last known: still shown once it has ended. */
  journeySnapshot: SessionRow | undefined;
  journeyNote: string | undefined;

  /** `newestSeen`: server time of the newest event, for a row that comes with no time of its own. */
  constructor(
    private readonly changes: ViewChanges,
    private readonly newestSeen: () => number,
  ) {}

  select(sessionId: string | undefined): void {
    this.selected = sessionId;
    this.journeySnapshot = sessionId === undefined ? undefined : this.rows.get(sessionId);
    this.journeyNote = undefined;
    this.changes.mark("journey", "sessions");
  }

  /** The whole session as `GET /api/analytics/sessions/:id` returned it. */
  show(session: SessionView): void {
    if (session.session_id !== this.selected) return;
    const row = this.upsert(session, Date.parse(session.last_activity));
    this.journeySnapshot = row;
    this.changes.mark("sessions", "journey");
  }

  gone(sessionId: string): void {
    if (sessionId !== this.selected) return;
    this.journeyNote = "This session is no longer active; this is its journey as last seen.";
    this.changes.mark("journey");
  }

  unavailable(sessionId: string, reason: string): void {
    if (sessionId !== this.selected) return;
    this.journeyNote = reason;
    this.changes.mark("journey");
  }

  /** An event received at `at` (server time): its session moves on, or ends. */
  touch(event: ShownEvent, at: number): void {
    if (event.type === "session_end") {
      this.end(event.session_id, "ended");
      return;
    }
    const row = this.rows.get(event.session_id);
    if (row) {
      row.lastSeen = Math.max(row.lastSeen, at);
      row.current_page = event.page;
      return;
    }
    // Until its session_activity arrives (right after, or in the same batch).
    const pageview = event.type === "pageview";
    this.upsert(
      {
        session_id: event.session_id,
        current_page: event.page,
        journey: pageview ? [event.page] : [],
        journey_truncated: false,
        duration: 0,
        country: event.country,
        device: event.device,
        site: event.site,
        page_views: pageview ? 1 : 0,
        started_at: event.received_at,
        last_activity: event.received_at,
      },
      at,
    );
  }

  upsert(activity: SessionActivity, lastSeen: number | undefined): SessionRow {
    const previous = this.rows.get(activity.session_id);
    const row: SessionRow = {
      session_id: activity.session_id,
      current_page: activity.current_page,
      journey: activity.journey,
      journey_truncated: activity.journey_truncated,
      duration: activity.duration,
      country: activity.country,
      device: activity.device,
      site: activity.site,
      page_views: activity.page_views,
      started_at: activity.started_at,
      last_activity: activity.last_activity,
      lastSeen: Math.max(lastSeen || 0, previous?.lastSeen ?? 0) || this.newestSeen() || Date.now(),
    };
    this.rows.set(row.session_id, row);
    if (row.session_id === this.selected) {
      this.journeySnapshot = row;
      this.changes.mark("journey");
    }
    if (this.rows.size > SESSION_LIMIT) this.forgetOldest();
    return row;
  }

  end(sessionId: string, reason: string): void {
    if (this.rows.delete(sessionId)) this.changes.mark("sessions");
    if (sessionId === this.selected) {
      this.journeyNote = `This session has ended (${reason}); this is its journey as last seen.`;
      this.changes.mark("journey");
    }
  }

  /** Forgets the sessions not among these, the whole list of active ones. */
  keepOnly(active: ReadonlySet<string>): void {
    for (const id of this.rows.keys()) if (!active.has(id)) this.rows.delete(id);
  }

  clear(): void {
    this.rows.clear();
  }

  private forgetOldest(): void {
    let oldest: SessionRow | undefined;
    for (const row of this.rows.values()) {
      if (!oldest || row.lastSeen < oldest.lastSeen) oldest = row;
    }
    if (oldest) this.rows.delete(oldest.session_id);
  }
}
