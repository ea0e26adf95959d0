import type { z } from "zod";
import type { SessionView } from "../interfaces/analytics.ts";
import type { sessionLookupSchema } from "../schemas/responses.ts";
import { jsonStringBytes } from "./answer-budget.ts";
import { copySetVisitFields, type Session } from "./session.ts";
import type { ArchivedSessionRow } from "./storage/archived-sessions.ts";

/** `GET /api/analytics/sessions/:id`'s session: active, or ended with `ended_at` and `end_reason`. */
export type SessionLookup = z.infer<typeof sessionLookupSchema>;

/**
 * The most of a journey a list of sessions shows (estimated bytes of JSON): its newest pages,
 * with `journey_truncated`. Fifty ordinary pages fit; fifty of 2,048 characters would make one
 * session ~100 KB and crowd every other out of the list. `/api/analytics/sessions/:id` shows all.
 */
export const LIST_JOURNEY_MAX_BYTES = 8 * 1024;
/** A session view's keys, punctuation, numbers and ISO times beside its strings. */
const SESSION_VIEW_OVERHEAD = 256;
/** A string field's key and punctuation (`"utm_campaign":` and a comma). */
const VIEW_KEY_BYTES = 16;

// The filter rule lives in schemas/ so the dashboard's bundle shares it.
export { matchesFilter } from "../schemas/filter-match.ts";

/**
 * A session as answers show it, its whole (kept) journey included: where the visit entered and
 * came from, the current page's title and the visit's fields when known. Never its visitor key
 * (a pseudonymous id) or user id.
 */
export function toSessionView(session: Session): SessionView {
  const view: SessionView = {
    session_id: session.session_id,
    site: session.site,
    current_page: session.current_page,
    journey: [...session.journey],
    journey_truncated: session.journey_truncated,
    duration: Math.round((session.last_activity - session.started_at) / 1000),
    country: session.country,
    device: session.device,
    started_at: new Date(session.started_at).toISOString(),
    last_activity: new Date(session.last_activity).toISOString(),
    page_views: session.page_views,
    entry_page: session.entry_page,
    source: session.source,
  };
  copySetVisitFields(session, view);
  return view;
}

/**
 * An ended session from the archive, shaped as an active one is, with when and why it ended. Its
 * last activity: stored by later schemas; else its end, less the timeout for a timed-out one (an
 * evicted session's is not known: its end stands in).
 */
export function endedSessionView(row: ArchivedSessionRow, timeoutMs: number): SessionLookup {
  const lastActivity =
    row.last_activity ?? (row.end_reason === "timeout" ? row.ended_at - timeoutMs : row.ended_at);
  return {
    session_id: row.session_id,
    site: row.site,
    current_page: row.exit_page,
    journey: row.journey,
    journey_truncated: row.journey_truncated,
    duration: Math.max(0, Math.round((lastActivity - row.started_at) / 1000)),
    country: row.country,
    device: row.device,
    started_at: new Date(row.started_at).toISOString(),
    last_activity: new Date(Math.max(row.started_at, lastActivity)).toISOString(),
    page_views: row.page_views,
    entry_page: row.entry_page,
    ...row.visit,
    ended_at: new Date(row.ended_at).toISOString(),
    end_reason: row.end_reason,
  };
}

/** A session as lists show it, with its estimated bytes: the journey's newest pages that fit. */
export function toSessionListView(session: Session): { view: SessionView; bytes: number } {
  const { first, journeyBytes } = listJourneyStart(session.journey);
  const view = toSessionView(session);
  if (first > 0) {
    view.journey = session.journey.slice(first);
    view.journey_truncated = true;
  }
  let bytes = SESSION_VIEW_OVERHEAD + journeyBytes;
  for (const value of Object.values(view))
    if (typeof value === "string") bytes += jsonStringBytes(value) + VIEW_KEY_BYTES;
  return { view, bytes };
}

/**
 * A session view with its journey cut as lists cut it (its newest pages within
 * LIST_JOURNEY_MAX_BYTES, `journey_truncated` then true): what WebSocket frames carry, so a frame
 * about one session stays a few KB however long its pages are.
 */
export function withListJourney<V extends SessionView>(view: V): V {
  const { first } = listJourneyStart(view.journey);
  if (first === 0) return view;
  return { ...view, journey: view.journey.slice(first), journey_truncated: true };
}

/** Where a list's journey starts (the newest pages within the budget, at least one) and its bytes. */
function listJourneyStart(journey: readonly string[]): { first: number; journeyBytes: number } {
  let journeyBytes = 2;
  let first = journey.length;
  while (first > 0) {
    const bytes = jsonStringBytes(journey[first - 1] as string) + 1;
    if (first < journey.length && journeyBytes + bytes > LIST_JOURNEY_MAX_BYTES) break;
    journeyBytes += bytes;
    first--;
  }
  return { first, journeyBytes };
}
