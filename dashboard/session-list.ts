import { endedNote, leftNote } from "./journey-notes.ts";
import type { SessionActivity, SessionLookup, ShownEvent } from "./protocol.ts";
import type { SessionRow } from "./session-row.ts";
import type { ViewChanges } from "./view-changes.ts";
import { visitOf } from "./visit-of-event.ts";

/** Sessions remembered for the list; the server keeps them all, this is only the view. */
export const SESSION_LIMIT = 1000;
/**
 * How long a session ended by `session_end` shows as leaving before it counts as left: the
 * server's RESUME_GRACE_MS (services/session.ts; a unit test keeps them equal). The tracker sends
 * `session_end` on every `pagehide`, following a link on the site included, and the next page's
 * pageview resumes the session within it: that is a navigation, not a leave.
 */
export const LEAVE_GRACE_MS = 10_000;
/** How long a visitor who left stays in the list (shown as left, its journey a click away). */
export const LEFT_SHOWN_MS = 60_000;

export interface SessionListOptions {
  /** Figures received so far (see `Figures.received`). */
  statsSeq?: () => number;
  /** This page's clock. */
  now?: () => number;
  /** Asks for `sweep()` to run in `ms`. */
  wakeIn?: (ms: number) => void;
}

/** The sessions this view lists (active, leaving, just left), and the one whose journey shows. */
export class SessionList {
  readonly rows = new Map<string, SessionRow>();
  selected: string | undefined;
  /** The selected session as last known: still shown once it has ended. */
  journeySnapshot: SessionRow | undefined;
  journeyNote: string | undefined;
  private readonly now: () => number;
  private readonly wakeIn: (ms: number) => void;
  private readonly statsSeq: () => number;

  /** `newestSeen`: server time of the newest event, for a row that comes with no time of its own. */
  constructor(
    private readonly changes: ViewChanges,
    private readonly newestSeen: () => number,
    options: SessionListOptions = {},
  ) {
    // Read through `Date` each time: a test may shift the page's clock after start-up.
    this.now = options.now ?? (() => Date.now());
    this.wakeIn = options.wakeIn ?? (() => {});
    this.statsSeq = options.statsSeq ?? (() => 0);
  }

  select(sessionId: string | undefined): void {
    this.selected = sessionId;
    this.journeySnapshot = sessionId === undefined ? undefined : this.rows.get(sessionId);
    this.journeyNote = this.journeySnapshot && leftNote(this.journeySnapshot);
    this.changes.mark("journey", "sessions");
  }

  /** The whole session as `GET /api/analytics/sessions/:id` returned it: active or ended. */
  show(session: SessionLookup): void {
    if (session.session_id !== this.selected) return;
    if (session.ended_at === undefined) {
      this.journeySnapshot = this.upsert(session, Date.parse(session.last_activity));
    } else {
      // Ended: its journey shows; the list keeps the row as it stands (it may yet resume).
      const row = this.rows.get(session.session_id);
      const { ended_at, end_reason, ...view } = session;
      this.journeySnapshot = {
        ...view,
        lastSeen: row?.lastSeen ?? Date.parse(session.last_activity),
        state: row?.state === "leaving" ? "leaving" : "left",
        endedAt: Date.parse(ended_at),
        endReason: end_reason,
      };
      this.journeyNote = endedNote(end_reason, ended_at);
    }
    this.changes.mark("sessions", "journey");
  }

  gone(sessionId: string): void {
    if (sessionId !== this.selected) return;
    this.journeyNote = "This session is no longer kept; this is its journey as last seen.";
    this.changes.mark("journey");
  }

  unavailable(sessionId: string, reason: string): void {
    if (sessionId !== this.selected) return;
    this.journeyNote = reason;
    this.changes.mark("journey");
  }

  /** An event received at `at` (server time): its session moves on, or ends. True when it resumed. */
  touch(event: ShownEvent, at: number): boolean {
    if (event.type === "session_end") {
      this.end(event.session_id, "ended", at);
      return false;
    }
    const row = this.rows.get(event.session_id);
    if (row) {
      const resumed = row.state !== "active";
      row.lastSeen = Math.max(row.lastSeen, at);
      row.current_page = event.page;
      // As the server keeps it: the title of the latest pageview that sent one.
      if (event.type === "pageview" && event.title !== undefined) row.title = event.title;
      if (resumed) this.activate(row);
      return resumed;
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
        entry_page: event.page,
        ...visitOf(event),
      },
      at,
    );
    return false;
  }

  /**
   * A session as the server sent it. `asOf` (server time) when it comes from an answer that may
   * be older than frames already applied (a detailed answer is cached for up to a second): a
   * session that ended after it keeps its state.
   */
  upsert(activity: SessionActivity, lastSeen: number | undefined, asOf?: number): SessionRow {
    const previous = this.rows.get(activity.session_id);
    const stale = asOf !== undefined && previous?.endedAt !== undefined && asOf < previous.endedAt;
    const row: SessionRow = {
      ...activity,
      lastSeen: Math.max(lastSeen || 0, previous?.lastSeen ?? 0) || this.newestSeen() || this.now(),
      state: stale ? (previous?.state ?? "active") : "active",
    };
    if (stale && previous) {
      row.leftAt = previous.leftAt;
      row.endedAt = previous.endedAt;
      row.endReason = previous.endReason;
      row.leavingSeq = previous.leavingSeq;
    }
    this.rows.set(row.session_id, row);
    if (row.session_id === this.selected) {
      if (previous?.state !== "active" && row.state === "active") this.journeyNote = undefined;
      this.journeySnapshot = row;
      this.changes.mark("journey");
    }
    if (this.rows.size > SESSION_LIMIT) this.forgetOldest();
    return row;
  }

  /**
   * A session ended (`at`: server time). By `session_end` it shows as leaving for the grace, and
   * a resume within it takes it back as if it never left; otherwise it leaves the list at once.
   */
  end(sessionId: string, reason: string, at: number): void {
    const row = this.rows.get(sessionId);
    if (!row) return;
    if (reason === "ended") {
      if (row.state !== "active") return;
      row.state = "leaving";
      row.leftAt = this.now();
      row.endedAt = at;
      row.endReason = reason;
      row.leavingSeq = this.statsSeq();
      this.wakeIn(LEAVE_GRACE_MS);
      this.changes.mark("sessions", "counters");
      return;
    }
    this.rows.delete(sessionId);
    this.changes.mark("sessions");
    if (sessionId === this.selected) {
      this.journeySnapshot = { ...row, state: "left", endReason: reason };
      this.journeyNote = leftNote(this.journeySnapshot);
      this.changes.mark("journey");
    }
  }

  /** Leaving past the grace becomes left; left past LEFT_SHOWN_MS leaves the list. */
  sweep(): void {
    const now = this.now();
    for (const row of this.rows.values()) {
      const since = now - (row.leftAt ?? now);
      if (row.state === "leaving" && since >= LEAVE_GRACE_MS) {
        row.state = "left";
        this.wakeIn(LEFT_SHOWN_MS);
        this.changes.mark("sessions", "counters", "feed");
        if (row.session_id === this.selected) {
          this.journeyNote = leftNote(row);
          this.changes.mark("journey");
        }
      } else if (row.state === "left" && since >= LEAVE_GRACE_MS + LEFT_SHOWN_MS) {
        this.rows.delete(row.session_id);
        this.changes.mark("sessions");
      }
    }
  }

  /**
   * Sessions leaving (within the grace) that the figures `seq`, made at `asOf` (server time), no
   * longer count: received after the session began leaving, and made after it ended (a detailed
   * answer may be a second old). Shown as active meanwhile, so a navigation does not make the
   * active count flicker.
   */
  leavingCount(asOf: number, seq: number): number {
    let count = 0;
    for (const row of this.rows.values()) {
      if (row.state !== "leaving") continue;
      if ((row.leavingSeq ?? 0) < seq && (row.endedAt ?? 0) <= asOf) count++;
    }
    return count;
  }

  /** Rows still active (not leaving or left). */
  get activeCount(): number {
    let count = 0;
    for (const row of this.rows.values()) if (row.state !== "left") count++;
    return count;
  }

  /** Forgets the active rows not among these, the whole list of active ones (leaving and left stay). */
  keepOnly(active: ReadonlySet<string>): void {
    for (const [id, row] of this.rows) {
      if (row.state === "active" && !active.has(id)) this.rows.delete(id);
    }
  }

  clear(): void {
    this.rows.clear();
  }

  private activate(row: SessionRow): void {
    row.state = "active";
    row.leftAt = undefined;
    row.endedAt = undefined;
    row.endReason = undefined;
    row.leavingSeq = undefined;
    if (row.session_id === this.selected) {
      this.journeyNote = undefined;
      this.journeySnapshot = row;
      this.changes.mark("journey");
    }
    this.changes.mark("sessions", "counters");
  }

  private forgetOldest(): void {
    let oldest: SessionRow | undefined;
    for (const row of this.rows.values()) {
      if (!oldest || row.lastSeen < oldest.lastSeen) oldest = row;
    }
    if (oldest) this.rows.delete(oldest.session_id);
  }
}
