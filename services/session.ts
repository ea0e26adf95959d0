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
 * Estimated heap bytes of a session beyond its strings: the object, its entry in the recency
 * list and its map, the journey array's header. Its own ids count two bytes a character; its
 * pages, site, country and device are pooled (counted once, in the pool) and cost a reference.
 */
const SESSION_OVERHEAD = 384;
export const REFERENCE_BYTES = 8;

export interface SessionTrackerState {
  active: Session[];
  recentlyEnded: { session: Session; endedAt: number }[];
}

export interface Session {
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
export function footprint(session: Session): number {
  const ownCharacters =
    session.session_id.length + (session.user_id?.length ?? 0) + session.visitor_key.length;
  return SESSION_OVERHEAD + 2 * ownCharacters + REFERENCE_BYTES * session.journey.length;
}

export function dimensionsOf(session: Session) {
  return { site: session.site, country: session.country, page: session.current_page };
}
