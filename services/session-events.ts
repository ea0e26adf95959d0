import type { VisitorEvent } from "../interfaces/analytics.ts";
import { sourceOf } from "./enrich/source.ts";
import { liveSession, type Session, VISIT_FIELDS } from "./session.ts";
import type { SessionMemory } from "./session-memory.ts";

// What an event tells a session: a new one from its first event, then the visit's fields and pages.

/** A session started by `event` at `now`, its strings pooled in `memory` (not yet counted there). */
export function newSession(event: VisitorEvent, now: number, memory: SessionMemory): Session {
  return liveSession({
    session_id: event.session_id,
    site: memory.intern(event.site),
    country: memory.intern(event.country),
    device: memory.intern(event.device),
    user_id: event.user_id,
    visitor_key: event.visitor_id ?? event.user_id ?? event.session_id,
    started_at: now,
    last_activity: now,
    current_page: memory.intern(event.page),
    entry_page: memory.intern(event.page),
    journey: [],
    journey_truncated: false,
    page_views: 0,
    events: 0,
    source: memory.intern(
      event.utm_source ?? event.source ?? sourceOf(event.referrer, hostsOf(event)),
    ),
  });
}

/** Counts the event and keeps what it tells of the visit: fields still empty, the page's title. */
export function fillVisit(session: Session, event: VisitorEvent, memory: SessionMemory): void {
  session.events++;
  if (event.type === "pageview" && event.title !== undefined)
    memory.setVisitField(session, "title", event.title);
  for (const field of VISIT_FIELDS) {
    const value = event[field];
    if (value !== undefined && session[field] === undefined)
      memory.setVisitField(session, field, value);
  }
}

export function recordPageview(session: Session, page: string, memory: SessionMemory): void {
  session.page_views++;
  memory.pushJourney(session, page);
}

const hostsOf = (event: VisitorEvent) =>
  event.host === undefined ? [event.site] : [event.host, event.site];
