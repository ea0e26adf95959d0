import type { Database } from "bun:sqlite";
import { VISIT_TEXT_COLUMNS } from "../../schemas/visit-fields.ts";

/** What the archive keeps of a session that ended (a session view has these fields). */
export interface ArchivedSession {
  session_id: string;
  started_at: string;
  site: string;
  country: string;
  device: string;
  current_page: string;
  journey: string[];
  journey_truncated: boolean;
  page_views: number;
  /** ISO; absent in records written before schema 6 (the end is taken then). */
  last_activity?: string;
}

export interface EndedSessionRecord {
  session: ArchivedSession;
  reason: string;
  endedAt: number;
}

/**
 * Ended sessions waiting to be written to `sessions`: flushed on a timer, at shutdown, and in the
 * transaction of each snapshot (the replay after it would not end them again). A write replaces
 * the row, so a session archived twice (ended again by a replay after a crash) is stored once.
 */
export class SessionArchive {
  private waiting: EndedSessionRecord[] = [];

  constructor(private readonly database: () => Database) {}

  record(ended: EndedSessionRecord): void {
    this.waiting.push(ended);
  }

  /**
   * Writes what waits (at most `limit`, oldest first) in one transaction; kept for the next
   * attempt if that fails.
   */
  flush(limit = Number.POSITIVE_INFINITY): void {
    if (this.waiting.length === 0) return;
    const db = this.database();
    if (this.waiting.length <= limit) {
      this.writeWithin((batch) => db.transaction(() => this.write(batch))());
      return;
    }
    const batch = this.waiting.slice(0, limit);
    this.waiting = this.waiting.slice(limit);
    try {
      db.transaction(() => this.write(batch))();
    } catch (error) {
      this.putBack(batch);
      throw error;
    }
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** Runs `write` with everything waiting taken out; put back, ahead of newer ones, if it throws. */
  writeWithin<T>(write: (batch: readonly EndedSessionRecord[]) => T): T {
    const batch = this.take();
    try {
      return write(batch);
    } catch (error) {
      this.putBack(batch);
      throw error;
    }
  }

  take(): EndedSessionRecord[] {
    const batch = this.waiting;
    this.waiting = [];
    return batch;
  }

  /** Ahead of those recorded since: a failed write loses none. */
  putBack(batch: readonly EndedSessionRecord[]): void {
    if (batch.length > 0) this.waiting = batch.concat(this.waiting);
  }

  /** Inserts `batch` (the caller holds the transaction). */
  write(batch: readonly EndedSessionRecord[]): void {
    if (batch.length > 0) this.writeVisits(batch.map(toVisitRecord));
  }

  /**
   * Upserts visits (the caller holds the transaction, or one statement each is its own): the end
   * and page figures are replaced, the visit's fields kept when the new record lacks them (an
   * ended session's archive record knows no source; the live flush wrote it before).
   */
  writeVisits(visits: readonly VisitRecord[]): void {
    if (visits.length === 0) return;
    const upsert = this.database().query(UPSERT_VISIT);
    for (const visit of visits) upsert.run(...visitParams(visit));
    const upsertSite = this.database().query(UPSERT_SITE);
    for (const [site, { first, last }] of sitesOf(visits)) upsertSite.run(site, first, last);
  }
}

// Portable (no two-argument MIN/MAX, which Postgres spells LEAST/GREATEST).
const UPSERT_SITE = `INSERT INTO sites (site, first_seen, last_seen) VALUES (?, ?, ?)
  ON CONFLICT (site) DO UPDATE SET
    first_seen = CASE WHEN excluded.first_seen < sites.first_seen THEN excluded.first_seen ELSE sites.first_seen END,
    last_seen = CASE WHEN excluded.last_seen > sites.last_seen THEN excluded.last_seen ELSE sites.last_seen END`;

/** One row of `sessions`: an ended session, or an active one as it stands (`end_reason` active). */
export interface VisitRecord {
  session_id: string;
  started_at: number;
  ended_at: number;
  /** `timeout`, `ended`, `evicted`, or `active` for a session still going (replaced when it ends). */
  end_reason: string;
  site: string;
  country: string;
  device: string;
  entry_page: string;
  exit_page: string;
  page_views: number;
  journey: readonly string[];
  journey_truncated: boolean;
  last_activity: number;
  visitor_key?: string;
  events?: number;
  title?: string;
  source?: string;
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

const kept = (column: string) => `${column} = COALESCE(excluded.${column}, sessions.${column})`;

/** A `sessions` row's columns in insert order (SQLite's and Postgres's). */
export const VISIT_COLUMNS = [
  "session_id",
  "started_at",
  "ended_at",
  "end_reason",
  "site",
  "country",
  "device",
  "entry_page",
  "exit_page",
  "page_views",
  "journey",
  "journey_truncated",
  "last_activity",
  "visitor_key",
  "events",
  "title",
  ...VISIT_TEXT_COLUMNS,
] as const;

/** A visit's values in VISIT_COLUMNS' order. */
export function visitParams(visit: VisitRecord): (string | number | null)[] {
  return [
    visit.session_id,
    visit.started_at,
    visit.ended_at,
    visit.end_reason,
    visit.site,
    visit.country,
    visit.device,
    visit.entry_page,
    visit.exit_page,
    visit.page_views,
    JSON.stringify(visit.journey),
    visit.journey_truncated ? 1 : 0,
    visit.last_activity,
    visit.visitor_key ?? null,
    visit.events ?? null,
    visit.title ?? null,
    ...VISIT_TEXT_COLUMNS.map((column) => visit[column] ?? null),
  ];
}

/** Each site of `visits` with its earliest start and latest activity (the `sites` upsert). */
export function sitesOf(
  visits: readonly VisitRecord[],
): Map<string, { first: number; last: number }> {
  const sites = new Map<string, { first: number; last: number }>();
  for (const visit of visits) {
    const seen = sites.get(visit.site);
    if (seen === undefined)
      sites.set(visit.site, { first: visit.started_at, last: visit.last_activity });
    else {
      seen.first = Math.min(seen.first, visit.started_at);
      seen.last = Math.max(seen.last, visit.last_activity);
    }
  }
  return sites;
}

// Portable upsert (SQLite 3.24+, Postgres 9.5+): the primary key is (session_id, started_at).
const UPSERT_VISIT = `INSERT INTO sessions (${VISIT_COLUMNS.join(", ")})
  VALUES (${VISIT_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (session_id, started_at) DO UPDATE SET ended_at = excluded.ended_at,
    end_reason = excluded.end_reason, site = excluded.site, country = excluded.country,
    device = excluded.device, entry_page = COALESCE(sessions.entry_page, excluded.entry_page),
    exit_page = excluded.exit_page,
    page_views = excluded.page_views, journey = excluded.journey,
    journey_truncated = excluded.journey_truncated, last_activity = excluded.last_activity,
    visitor_key = COALESCE(sessions.visitor_key, excluded.visitor_key),
    ${["events", "title", ...VISIT_TEXT_COLUMNS].map(kept).join(", ")}`;

function toVisitRecord({ session, reason, endedAt }: EndedSessionRecord): VisitRecord {
  return {
    session_id: session.session_id,
    started_at: Date.parse(session.started_at),
    ended_at: endedAt,
    end_reason: reason,
    site: session.site,
    country: session.country,
    device: session.device,
    entry_page: session.journey[0] ?? session.current_page,
    exit_page: session.current_page,
    page_views: session.page_views,
    journey: session.journey,
    journey_truncated: session.journey_truncated,
    last_activity:
      session.last_activity === undefined ? endedAt : Date.parse(session.last_activity),
    visitor_key: session.session_id,
  };
}
