import { VISIT_DESCRIPTION } from "../../schemas/visit-fields.ts";
import type { HistoryDatabase } from "./history-database.ts";

/** Reasons a session ends with; rows with any other `end_reason` (an active one's) are not ended. */
export const ENDED_REASONS = ["timeout", "ended", "evicted"] as const;
export type ArchivedEndReason = (typeof ENDED_REASONS)[number];

/**
 * Text columns a later schema may add to `sessions` (the visit's fields). Read when present,
 * never required: the table of schema 2 has none of them.
 */
const OPTIONAL_TEXT_COLUMNS = VISIT_DESCRIPTION;
export type ArchivedVisitField = (typeof OPTIONAL_TEXT_COLUMNS)[number];

/** An ended session as `sessions` keeps it. Times in ms. */
export interface ArchivedSessionRow {
  session_id: string;
  started_at: number;
  ended_at: number;
  end_reason: ArchivedEndReason;
  /** Only when a later schema stores it. */
  last_activity?: number;
  site: string;
  country: string;
  device: string;
  entry_page: string;
  exit_page: string;
  page_views: number;
  journey: string[];
  journey_truncated: boolean;
  /** The visit's fields, where the row has them. */
  visit: Partial<Record<ArchivedVisitField, string>>;
}

/** What the read needs: the database (SQLite or Postgres), and a way to write what waits. */
export interface ArchivedSessionsSource {
  readonly db: HistoryDatabase;
  /** Writes what waits (changed visits, then ended sessions), so the read sees the latest. */
  flush(): void | Promise<void>;
}

/**
 * The latest ended session with this id (a session id that came back after its session ended
 * starts a new one: the newest row is the one asked for), or undefined. Sessions that ended are
 * first written out, so one that ended a moment ago is found. Read-only otherwise.
 */
export async function findEndedSession(
  store: ArchivedSessionsSource,
  sessionId: string,
): Promise<ArchivedSessionRow | undefined> {
  try {
    await store.flush();
  } catch {
    // A database that cannot write now still answers for what it holds; they wait for the next flush.
  }
  const row = await store.db.get(
    `SELECT * FROM sessions WHERE session_id = ?1 AND end_reason IN ('timeout', 'ended', 'evicted')
     ORDER BY started_at DESC LIMIT 1`,
    [sessionId],
    NUMBER_COLUMNS,
  );
  return row ? toRow(row) : undefined;
}

/** BIGINT and INTEGER columns (Postgres answers BIGINT as text). */
const NUMBER_COLUMNS = [
  "started_at",
  "ended_at",
  "last_activity",
  "page_views",
  "journey_truncated",
  "events",
];

function toRow(row: Record<string, unknown>): ArchivedSessionRow {
  const visit: Partial<Record<ArchivedVisitField, string>> = {};
  for (const column of OPTIONAL_TEXT_COLUMNS) {
    const value = row[column];
    if (typeof value === "string") visit[column] = value;
  }
  return {
    session_id: String(row.session_id),
    started_at: Number(row.started_at),
    ended_at: Number(row.ended_at),
    end_reason: row.end_reason as ArchivedEndReason,
    ...(typeof row.last_activity === "number" ? { last_activity: row.last_activity } : {}),
    site: String(row.site),
    country: String(row.country),
    device: String(row.device),
    entry_page: String(row.entry_page),
    exit_page: String(row.exit_page),
    page_views: Number(row.page_views),
    journey: parseJourney(row.journey),
    journey_truncated: Boolean(row.journey_truncated),
    visit,
  };
}

function parseJourney(value: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(String(value));
    return Array.isArray(parsed) ? parsed.filter((page) => typeof page === "string") : [];
  } catch {
    return [];
  }
}
