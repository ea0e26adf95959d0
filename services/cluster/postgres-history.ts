import type { SQL } from "bun";
import { VISIT_TEXT_COLUMNS } from "../../schemas/visit-fields.ts";
import { AnalyticsQuery, type AnalyticsQueryOptions } from "../analytics-query/analytics-query.ts";
import type { Clock } from "../clock.ts";
import { PostgresHistoryDatabase } from "../storage/history-database.ts";
import { HistoryReader } from "../storage/history-reader.ts";
import {
  sitesOf,
  VISIT_COLUMNS,
  type VisitRecord,
  visitParams,
} from "../storage/session-archive.ts";
import { migratePostgres } from "./postgres-schema.ts";

export interface PostgresHistoryOptions {
  clock: Clock;
  /** The query module's options: `beforeRead` (write the live visits first), `retentionDays`. */
  analytics?: AnalyticsQueryOptions;
}

/** Rows per statement: Postgres takes at most 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;

const kept = (column: string) => `${column} = COALESCE(EXCLUDED.${column}, sessions.${column})`;

/**
 * The guarded upsert: several instances write the same visits, each from its own copy of the live
 * state (one may be a moment behind), so a row is replaced only by a later last activity, or by
 * the same one while the stored row is still `active` (the session's end, written at the same
 * moment). The merge is SQLite's (session-archive.ts): the entry page and visitor key of the first
 * write, the visit's fields kept when the new record lacks them.
 */
const UPSERT_TAIL = `ON CONFLICT (session_id, started_at) DO UPDATE SET ended_at = EXCLUDED.ended_at,
    end_reason = EXCLUDED.end_reason, site = EXCLUDED.site, country = EXCLUDED.country,
    device = EXCLUDED.device, entry_page = COALESCE(sessions.entry_page, EXCLUDED.entry_page),
    exit_page = EXCLUDED.exit_page, page_views = EXCLUDED.page_views, journey = EXCLUDED.journey,
    journey_truncated = EXCLUDED.journey_truncated, last_activity = EXCLUDED.last_activity,
    visitor_key = COALESCE(sessions.visitor_key, EXCLUDED.visitor_key),
    ${["events", "title", ...VISIT_TEXT_COLUMNS].map(kept).join(", ")}
  WHERE sessions.last_activity IS NULL OR EXCLUDED.last_activity > sessions.last_activity
    OR (EXCLUDED.last_activity = sessions.last_activity AND sessions.end_reason = 'active')`;

const UPSERT_SITES = `ON CONFLICT (site) DO UPDATE SET
    first_seen = LEAST(sites.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(sites.last_seen, EXCLUDED.last_seen)`;

/**
 * The shared history on Postgres (cluster mode), constructed with Bun's `SQL` client:
 *
 * - `migrate()`: applies the schema (postgres-schema.ts; safe when instances start at once).
 * - `writeVisits(visits)`: the guarded upsert of visits (the live sessions as they stand and the
 *   ended ones) and of the sites they belong to, in one transaction.
 * - `database`: the async seam over Postgres (storage/history-database.ts).
 * - `reader`: time series, rankings and the export over Postgres (no retention there: every
 *   event is kept, so the roll-ups are never read); `storage.history.readFrom(reader)` points
 *   the history routes at it, and `reader.database` serves the ended-session lookup.
 * - `analytics`: the query module (query, sites, goals) over Postgres.
 *
 * The custom events' properties are written by the Archiver with the events (archiver.ts).
 */
export class PostgresHistory {
  readonly database: PostgresHistoryDatabase;
  readonly reader: HistoryReader;
  readonly analytics: AnalyticsQuery;

  constructor(
    private readonly sql: SQL,
    options: PostgresHistoryOptions,
  ) {
    this.database = new PostgresHistoryDatabase(sql);
    this.reader = new HistoryReader(this.database, Infinity);
    this.analytics = new AnalyticsQuery(this.database, options.clock, options.analytics);
  }

  migrate(): Promise<number[]> {
    return migratePostgres(this.sql);
  }

  async writeVisits(visits: readonly VisitRecord[]): Promise<void> {
    if (visits.length === 0) return;
    // One row per key (a statement may not update a row twice), the one the guard would keep;
    // in key order, so instances writing the same rows lock them in the same order.
    const latest = new Map<string, VisitRecord>();
    for (const visit of visits) {
      const key = `${visit.session_id}\u0000${visit.started_at}`;
      const held = latest.get(key);
      if (held === undefined || supersedes(visit, held)) latest.set(key, visit);
    }
    const rows = [...latest.values()].sort(
      (a, b) =>
        (a.session_id < b.session_id ? -1 : a.session_id > b.session_id ? 1 : 0) ||
        a.started_at - b.started_at,
    );
    const sites = sitesOf(rows);
    await this.sql.begin(async (tx) => {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const params = chunk.flatMap(visitParams);
        await tx.unsafe(
          `INSERT INTO sessions (${VISIT_COLUMNS.join(", ")}) VALUES ${placeholders(chunk.length, VISIT_COLUMNS.length)} ${UPSERT_TAIL}`,
          params,
        );
      }
      const siteRows = [...sites].sort(([a], [b]) => (a < b ? -1 : 1));
      await tx.unsafe(
        `INSERT INTO sites (site, first_seen, last_seen) VALUES ${placeholders(siteRows.length, 3)} ${UPSERT_SITES}`,
        siteRows.flatMap(([site, { first, last }]) => [site, first, last]),
      );
    });
  }
}

/** Whether `next` is the record the guarded upsert keeps over `held` (same key). */
function supersedes(next: VisitRecord, held: VisitRecord): boolean {
  return (
    next.last_activity > held.last_activity ||
    (next.last_activity === held.last_activity && held.end_reason === "active")
  );
}

/** `($1, $2), ($3, $4)` for `rows` rows of `columns` values. */
function placeholders(rows: number, columns: number): string {
  return Array.from(
    { length: rows },
    (_, row) =>
      `(${Array.from({ length: columns }, (_, column) => `$${row * columns + column + 1}`).join(", ")})`,
  ).join(", ");
}
