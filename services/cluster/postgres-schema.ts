import type { SQL } from "bun";
import type { CommittedEvent } from "../pipeline/event-log.ts";
import { OPTIONAL_COLUMNS } from "../storage/event-rows.ts";

export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The shared history's schema, oldest first; `schema_migrations` records what was applied. Never
 * edit a released migration: add the next one.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description:
      "archived events keyed by their stream position: SQLite's events columns, schema 5 included",
    sql: `
      CREATE TABLE events (
        position BIGINT PRIMARY KEY,
        received_at BIGINT NOT NULL,
        client_timestamp TEXT,
        type TEXT NOT NULL,
        name TEXT,
        site TEXT NOT NULL,
        page TEXT NOT NULL,
        host TEXT,
        title TEXT,
        session_id TEXT NOT NULL,
        user_id TEXT,
        country TEXT NOT NULL,
        device TEXT NOT NULL,
        referrer TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_content TEXT, utm_term TEXT,
        source TEXT, browser TEXT, browser_version TEXT, os TEXT, os_version TEXT,
        visitor_id TEXT, region TEXT, city TEXT
      );
      CREATE INDEX events_received_at ON events (received_at);
      CREATE INDEX events_site_received_at ON events (site, received_at);
    `,
  },
  {
    version: 2,
    description: "how far each stream is archived: every position up to it is in events",
    sql: `
      CREATE TABLE archive_position (
        stream TEXT PRIMARY KEY,
        position BIGINT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    description:
      "the history the query module reads: visits (sessions as SQLite's after its migrations 6 and 8), sites, goals, custom events' properties; events' id (their position, as SQLite names it) and the query's index",
    sql: `
      CREATE TABLE sessions (
        session_id TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT NOT NULL,
        end_reason TEXT NOT NULL,
        site TEXT NOT NULL,
        country TEXT NOT NULL,
        device TEXT NOT NULL,
        entry_page TEXT NOT NULL,
        exit_page TEXT NOT NULL,
        page_views INTEGER NOT NULL,
        journey TEXT NOT NULL,
        journey_truncated INTEGER NOT NULL,
        last_activity BIGINT,
        visitor_key TEXT,
        events INTEGER,
        title TEXT,
        source TEXT, referrer TEXT,
        utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_content TEXT, utm_term TEXT,
        browser TEXT, os TEXT, region TEXT, city TEXT,
        PRIMARY KEY (session_id, started_at)
      );
      CREATE INDEX sessions_site_started_at ON sessions (site, started_at);
      CREATE INDEX sessions_started_at ON sessions (started_at);
      CREATE TABLE sites (
        site TEXT PRIMARY KEY,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
      );
      CREATE TABLE goals (
        id SERIAL PRIMARY KEY,
        site TEXT NOT NULL,
        page_path TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (site, page_path)
      );
      CREATE TABLE event_props (
        event_id BIGINT NOT NULL,
        site TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (event_id, key)
      );
      CREATE INDEX event_props_site_key ON event_props (site, key, received_at);
      ALTER TABLE events ADD COLUMN id BIGINT GENERATED ALWAYS AS (position) STORED;
      CREATE UNIQUE INDEX events_id ON events (id);
      DROP INDEX events_site_received_at;
      CREATE INDEX events_site_received_at_covering ON events (site, received_at)
        INCLUDE (type, page, visitor_id, user_id, session_id, id);
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;

/** The advisory lock migrations hold: "foot" in ASCII, an id no other tool is likely to take. */
const MIGRATION_LOCK = 0x666f6f74;

/**
 * Applies the migrations the database lacks, in one transaction holding an advisory lock: when
 * several instances start at once, one applies them and the others, waiting on the lock, then
 * find nothing left to do. Returns the versions this call applied.
 */
export async function migratePostgres(
  sql: SQL,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, description TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`;
    const [row] = await tx`SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations`;
    const current = (row as { version: number }).version;
    const newest = migrations.at(-1)?.version ?? 0;
    if (current > newest) {
      throw new Error(
        `The Postgres schema is at version ${current}, newer than this Footfall (${newest}): upgrade Footfall`,
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, description)
        VALUES (${migration.version}, ${migration.description})`;
      applied.push(migration.version);
    }
    return applied;
  });
}

/** An event as an `events` row. */
export function eventRow({ position, event, receivedAt }: CommittedEvent): Record<string, unknown> {
  const row: Record<string, unknown> = {
    position,
    received_at: receivedAt,
    client_timestamp: event.timestamp,
    type: event.type,
    name: event.name ?? null,
    site: event.site,
    page: event.page,
    host: event.host ?? null,
    title: event.title ?? null,
    session_id: event.session_id,
    user_id: event.user_id ?? null,
    country: event.country,
    device: event.device,
    referrer: event.referrer ?? null,
    metadata: JSON.stringify(event.metadata),
  };
  for (const column of OPTIONAL_COLUMNS) row[column] = event[column] ?? null;
  return row;
}

/**
 * Writes the events once each: a position already archived (a batch retried) is left as it is.
 * Answers the positions this call inserted (their properties are to be written with them).
 */
export async function archiveEvents(
  sql: SQL,
  events: readonly CommittedEvent[],
): Promise<Set<number>> {
  if (events.length === 0) return new Set();
  const rows = (await sql`INSERT INTO events ${sql(events.map(eventRow))}
    ON CONFLICT (position) DO NOTHING RETURNING position`) as { position: string | number }[];
  return new Set(rows.map((row) => Number(row.position)));
}

/** Records that every position up to `position` is archived (never moves back). */
export async function recordArchivePosition(sql: SQL, stream: string, position: number) {
  await sql`INSERT INTO archive_position (stream, position) VALUES (${stream}, ${position})
    ON CONFLICT (stream) DO UPDATE SET position = GREATEST(archive_position.position,
      EXCLUDED.position), updated_at = now()`;
}
