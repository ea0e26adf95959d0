import { DIRECT } from "./enrich/source.ts";
import {
  footprint,
  JOURNEY_LIMIT,
  liveSession,
  REFERENCE_BYTES,
  type Session,
  type SessionRecord,
  VISIT_FIELDS,
} from "./session.ts";
import { StringPool } from "./string-pool.ts";

/**
 * What the active and recently ended sessions hold in memory: their strings shared through one
 * pool (each distinct page, site, country and device once), and their own bytes estimated as they
 * change, O(1) an event.
 */
export class SessionMemory {
  private readonly strings = new StringPool();
  /** Estimated bytes of the sessions held, their pooled strings aside. */
  private sessionBytes = 0;

  /** Estimated heap bytes of the sessions and their strings. */
  get bytes(): number {
    return this.sessionBytes + this.strings.bytes;
  }

  clear(): void {
    this.strings.clear();
    this.sessionBytes = 0;
  }

  intern(value: string): string {
    return this.strings.intern(value);
  }

  /** Lets go of the pooled `previous` and holds `next` instead. */
  repool(previous: string, next: string): string {
    this.strings.release(previous);
    return this.strings.intern(next);
  }

  /** Counts a new session, whose strings were interned here. */
  hold(session: Session): void {
    this.sessionBytes += footprint(session);
  }

  /** A restored session, its strings shared through the pool and its bytes counted. */
  adopt(session: SessionRecord): Session {
    const intern = (value: string) => this.strings.intern(value);
    const restored = liveSession({
      ...session,
      site: intern(session.site),
      country: intern(session.country),
      device: intern(session.device),
      current_page: intern(session.current_page),
      entry_page: intern(session.entry_page),
      journey: session.journey.map(intern),
      // Snapshots written before visits kept these lack them.
      visitor_key: session.visitor_key ?? session.user_id ?? session.session_id,
      events: session.events ?? session.page_views,
      source: intern(session.source ?? DIRECT),
    });
    if (restored.title !== undefined) restored.title = intern(restored.title);
    for (const field of VISIT_FIELDS) {
      const value = restored[field];
      if (value !== undefined) restored[field] = intern(value);
    }
    this.hold(restored);
    return restored;
  }

  /** Appends a page to the journey, dropping the oldest past JOURNEY_LIMIT. */
  pushJourney(session: Session, page: string): void {
    session.journey.push(this.strings.intern(page));
    this.sessionBytes += REFERENCE_BYTES;
    if (session.journey.length > JOURNEY_LIMIT) {
      this.strings.release(session.journey.shift() as string);
      this.sessionBytes -= REFERENCE_BYTES;
      session.journey_truncated = true;
    }
  }

  /** Forgets a session for good: its strings go back to the pool, its bytes off the estimate. */
  release(session: Session): void {
    this.sessionBytes -= footprint(session);
    for (const value of [session.site, session.country, session.device])
      this.strings.release(value);
    this.strings.release(session.current_page);
    this.strings.release(session.entry_page);
    for (const page of session.journey) this.strings.release(page);
    this.strings.release(session.source);
    if (session.title !== undefined) this.strings.release(session.title);
    for (const field of VISIT_FIELDS) {
      const value = session[field];
      if (value !== undefined) this.strings.release(value);
    }
  }

  /** Sets the pooled `field` of a session from an event: its first value, or a new title. */
  setVisitField(
    session: Session,
    field: (typeof VISIT_FIELDS)[number] | "title",
    value: string,
  ): void {
    const previous = session[field];
    if (previous === value) return;
    session[field] =
      previous === undefined ? this.strings.intern(value) : this.repool(previous, value);
  }
}
