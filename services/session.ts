import type { VisitorEvent } from "../interfaces/analytics.ts";
import { VISIT_FIELDS } from "../schemas/visit-fields.ts";

// A live session, what it costs in memory, and the dimensions it is counted under.

export const JOURNEY_LIMIT = 50;
/**
 * A session ended by `session_end` resumes, journey and all, if its id comes back this soon:
 * the tracker sends `session_end` on `pagehide`, which also fires when a visitor follows a
 * link to the next page of the same site.
 */
export const RESUME_GRACE_MS = 10_000;
/**
 * Estimated heap bytes of a session beyond its strings: the object with its links (~224 bytes),
 * its map entries, the journey array's header. Its own ids count two bytes a character; its
 * pages, site, country and device are pooled (counted once, in the pool) and cost a reference.
 * (Kept at the figure of when each session also had list entries of its own: the byte budget,
 * and who it evicts, stay as they were.)
 */
const SESSION_OVERHEAD = 384;
export const REFERENCE_BYTES = 8;

/** The tracker's part of a snapshot: its sessions as records, oldest first. */
export interface SessionTrackerState {
  active: SessionRecord[];
  recentlyEnded: { session: SessionRecord; endedAt: number }[];
}

/**
 * A session's place in the last minute's window of sessions seen (seen-window.ts): the session
 * itself while it is live, else what is left of one that ended within the window.
 */
export interface Sighting {
  session_id: string;
  /** When it was last seen; meaningful only while it is in the window. */
  seenAt: number;
  seenOlder: Sighting | undefined;
  seenNewer: Sighting | undefined;
}

/**
 * A live session: its record, and its links in the tracker's lists, so that no list needs an
 * object of its own per session (see session-list.ts). The links are never part of a snapshot.
 */
export interface Session extends SessionRecord, Sighting {
  older: Session | undefined;
  newer: Session | undefined;
}

/** What a session is, as snapshots and answers know it. */
export interface SessionRecord {
  session_id: string;
  site: string;
  country: string;
  device: string;
  user_id?: string;
  /** Who the visit counts as: the tracker's visitor id, else the user id, else the session. */
  visitor_key: string;
  started_at: number;
  last_activity: number;
  current_page: string;
  entry_page: string;
  journey: string[];
  journey_truncated: boolean;
  page_views: number;
  /** Every event of the session, pageviews included. */
  events: number;
  /** The current page's title, when the events carry one. */
  title?: string;
  /** Where the visit came from: its campaign's source, else its referrer's (`Direct / None`). */
  source: string;
  referrer?: string;
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_content?: string;
  utm_term?: string;
  browser?: string;
  os?: string;
  region?: string;
  city?: string;
}

export { VISIT_FIELDS };

// Every visit field is a field of the session and of the event it comes from.
VISIT_FIELDS satisfies readonly (keyof Session & keyof VisitorEvent)[];

/** A session's estimated bytes beside its pooled strings: O(1). */
export function footprint(session: SessionRecord): number {
  const ownCharacters =
    session.session_id.length + (session.user_id?.length ?? 0) + session.visitor_key.length;
  return SESSION_OVERHEAD + 2 * ownCharacters + REFERENCE_BYTES * session.journey.length;
}

/**
 * A live session of the record. Its fields every session has come first, in one order, and the
 * optional ones only when set (as events set them later), so that a session with the few a visit
 * usually has (a title, a referrer, a browser) fits JavaScriptCore's inline storage: one object.
 */
export function liveSession(record: SessionRecord): Session {
  const session: Session = {
    session_id: record.session_id,
    site: record.site,
    country: record.country,
    device: record.device,
    user_id: record.user_id,
    visitor_key: record.visitor_key,
    started_at: record.started_at,
    last_activity: record.last_activity,
    current_page: record.current_page,
    entry_page: record.entry_page,
    journey: record.journey,
    journey_truncated: record.journey_truncated,
    page_views: record.page_views,
    events: record.events,
    source: record.source,
    older: undefined,
    newer: undefined,
    seenAt: 0,
    seenOlder: undefined,
    seenNewer: undefined,
  };
  copySetVisitFields(record, session);
  return session;
}

/**
 * A session's record, as a snapshot keeps it: its fields without its links. Copied field by
 * field (an object rest copy of a session took twice as long: 1.2 against 0.6 µs a session).
 */
export function recordOf(session: Session): SessionRecord {
  const record: SessionRecord = {
    session_id: session.session_id,
    site: session.site,
    country: session.country,
    device: session.device,
    user_id: session.user_id,
    visitor_key: session.visitor_key,
    started_at: session.started_at,
    last_activity: session.last_activity,
    current_page: session.current_page,
    entry_page: session.entry_page,
    journey: session.journey,
    journey_truncated: session.journey_truncated,
    page_views: session.page_views,
    events: session.events,
    source: session.source,
  };
  copySetVisitFields(session, record);
  return record;
}

type OptionalVisitFields = { title?: string } & {
  [Field in (typeof VISIT_FIELDS)[number]]?: string;
};

/**
 * The visit's optional fields (the page's title and VISIT_FIELDS) that `from` has, set on `into`:
 * a field never set stays absent, which keeps the common session's shape small.
 */
export function copySetVisitFields(from: OptionalVisitFields, into: OptionalVisitFields): void {
  if (from.title !== undefined) into.title = from.title;
  for (const field of VISIT_FIELDS) {
    const value = from[field];
    if (value !== undefined) into[field] = value;
  }
}

export function dimensionsOf(session: SessionRecord) {
  return { site: session.site, country: session.country, page: session.current_page };
}
