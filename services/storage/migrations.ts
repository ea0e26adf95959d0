import type { Database } from "bun:sqlite";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema's history, oldest first. A database records the last version applied in
 * `PRAGMA user_version`; start-up applies the rest, each in its own transaction.
 * Never edit a released migration: add the next one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "raw events (the log every live figure is rebuilt from) and live-state snapshots",
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
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
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_received_at ON events (received_at);
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        last_event_id INTEGER NOT NULL,
        state TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "ended sessions and daily roll-ups per site by page, country, device and referrer",
    sql: `
      CREATE TABLE sessions (
        session_id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        end_reason TEXT NOT NULL,
        site TEXT NOT NULL,
        country TEXT NOT NULL,
        device TEXT NOT NULL,
        entry_page TEXT NOT NULL,
        exit_page TEXT NOT NULL,
        page_views INTEGER NOT NULL,
        journey TEXT NOT NULL,
        journey_truncated INTEGER NOT NULL,
        PRIMARY KEY (session_id, started_at)
      );
      CREATE INDEX sessions_ended_at ON sessions (ended_at);
      CREATE TABLE daily_rollups (
        day TEXT NOT NULL,
        site TEXT NOT NULL,
        dimension TEXT NOT NULL,
        key TEXT NOT NULL,
        pageviews INTEGER NOT NULL,
        visitors INTEGER NOT NULL,
        PRIMARY KEY (day, site, dimension, key)
      );
      CREATE INDEX events_site_received_at ON events (site, received_at);
    `,
  },
  {
    version: 3,
    description:
      "a scratch table the write probe uses while degraded; roll-ups by page and country together",
    sql: `
      CREATE TABLE storage_probe (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
      INSERT OR REPLACE INTO daily_rollups (day, site, dimension, key, pageviews, visitors)
        SELECT r.day, e.site, 'page_country', e.page || char(0) || e.country, COUNT(*),
          COUNT(DISTINCT e.session_id)
        FROM (SELECT DISTINCT day FROM daily_rollups WHERE dimension = 'total') AS r
        JOIN events AS e ON e.type = 'pageview'
          AND e.received_at >= unixepoch(r.day) * 1000
          AND e.received_at < (unixepoch(r.day) + 86400) * 1000
        GROUP BY r.day, e.site, e.page, e.country;
    `,
  },
  {
    version: 4,
    description:
      "snapshots written in parts: long arrays of the live state in bounded rows beside a small header",
    sql: `
      ALTER TABLE snapshots ADD COLUMN parts TEXT;
      CREATE TABLE snapshot_parts (
        snapshot_id INTEGER NOT NULL,
        array_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, array_id, seq)
      );
    `,
  },
  {
    version: 5,
    description:
      "events' campaign parameters and what the tracker endpoint learns of the visitor (never the IP)",
    sql: `
      ALTER TABLE events ADD COLUMN utm_source TEXT;
      ALTER TABLE events ADD COLUMN utm_medium TEXT;
      ALTER TABLE events ADD COLUMN utm_campaign TEXT;
      ALTER TABLE events ADD COLUMN utm_content TEXT;
      ALTER TABLE events ADD COLUMN utm_term TEXT;
      ALTER TABLE events ADD COLUMN source TEXT;
      ALTER TABLE events ADD COLUMN browser TEXT;
      ALTER TABLE events ADD COLUMN browser_version TEXT;
      ALTER TABLE events ADD COLUMN os TEXT;
      ALTER TABLE events ADD COLUMN os_version TEXT;
      ALTER TABLE events ADD COLUMN visitor_id TEXT;
      ALTER TABLE events ADD COLUMN region TEXT;
      ALTER TABLE events ADD COLUMN city TEXT;
    `,
  },
  {
    version: 6,
    description:
      "visits: the live session's visit columns and last activity on sessions (active ones too), goals, custom events' properties",
    sql: `
      ALTER TABLE sessions ADD COLUMN last_activity INTEGER;
      ALTER TABLE sessions ADD COLUMN visitor_key TEXT;
      ALTER TABLE sessions ADD COLUMN events INTEGER;
      ALTER TABLE sessions ADD COLUMN title TEXT;
      ALTER TABLE sessions ADD COLUMN source TEXT;
      ALTER TABLE sessions ADD COLUMN referrer TEXT;
      ALTER TABLE sessions ADD COLUMN utm_source TEXT;
      ALTER TABLE sessions ADD COLUMN utm_medium TEXT;
      ALTER TABLE sessions ADD COLUMN utm_campaign TEXT;
      ALTER TABLE sessions ADD COLUMN utm_content TEXT;
      ALTER TABLE sessions ADD COLUMN utm_term TEXT;
      ALTER TABLE sessions ADD COLUMN browser TEXT;
      ALTER TABLE sessions ADD COLUMN os TEXT;
      ALTER TABLE sessions ADD COLUMN region TEXT;
      ALTER TABLE sessions ADD COLUMN city TEXT;
      UPDATE sessions SET visitor_key = session_id, events = page_views,
        last_activity = CASE
          WHEN end_reason <> 'timeout' THEN ended_at
          WHEN ended_at - 1800000 > started_at THEN ended_at - 1800000
          ELSE started_at END;
      CREATE INDEX sessions_site_started_at ON sessions (site, started_at);
      CREATE TABLE goals (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        page_path TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (site, page_path)
      );
      CREATE TABLE event_props (
        event_id INTEGER NOT NULL,
        site TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (event_id, key)
      );
      CREATE INDEX event_props_site_key ON event_props (site, key, received_at);
    `,
  },
  {
    version: 7,
    description:
      "the site-and-time index of events covers what the query endpoint reads of them (type, page, visitor keys)",
    sql: `
      DROP INDEX events_site_received_at;
      CREATE INDEX events_site_received_at_covering
        ON events (site, received_at, type, page, visitor_id, user_id, session_id);
    `,
  },
  {
    version: 8,
    description:
      "the sites seen, kept as visits are written, and visits by start time, so listing the sites reads only today's visits",
    sql: `
      CREATE TABLE sites (
        site TEXT PRIMARY KEY,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );
      INSERT INTO sites (site, first_seen, last_seen)
        SELECT site, MIN(started_at), MAX(last_activity) FROM sessions GROUP BY site;
      CREATE INDEX sessions_started_at ON sessions (started_at);
    `,
  },
  {
    version: 9,
    description:
      "alerting: rules per site, destinations (with their signing secret), every alert raised, and each delivery's attempts",
    sql: `
      CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        kind TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        settings TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX alert_rules_site ON alert_rules (site);
      CREATE TABLE alert_destinations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        url TEXT NOT NULL,
        site TEXT,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE alert_history (
        id TEXT PRIMARY KEY,
        rule_id INTEGER,
        site TEXT,
        kind TEXT NOT NULL,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL,
        raised_at INTEGER NOT NULL
      );
      CREATE INDEX alert_history_raised_at ON alert_history (raised_at);
      CREATE INDEX alert_history_rule ON alert_history (rule_id, raised_at);
      CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL,
        destination_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        delivered_at INTEGER,
        payload TEXT NOT NULL,
        UNIQUE (alert_id, destination_id)
      );
      CREATE INDEX alert_deliveries_pending ON alert_deliveries (status, next_attempt_at);
      CREATE INDEX alert_deliveries_destination ON alert_deliveries (destination_id, id);
    `,
  },
  {
    version: 10,
    description:
      "the query endpoint's own table of what it reads of events, copied off the hot path, and its covering index; events keep one time index",
    sql: `
      CREATE TABLE query_events (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        type TEXT NOT NULL,
        name TEXT,
        page TEXT NOT NULL,
        session_id TEXT NOT NULL,
        user_id TEXT,
        visitor_id TEXT
      );
      INSERT INTO query_events (id, site, received_at, type, name, page, session_id, user_id, visitor_id)
        SELECT id, site, received_at, type, name, page, session_id, user_id, visitor_id
        FROM events ORDER BY id;
      CREATE INDEX query_events_site_received_at
        ON query_events (site, received_at, type, page, visitor_id, user_id, session_id, name);
      DROP INDEX events_site_received_at_covering;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Applies every migration newer than the database; returns the versions applied. */
export function migrate(db: Database, upTo: number = SCHEMA_VERSION): number[] {
  const current = (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `The database is at schema version ${current}, newer than this Footfall (${SCHEMA_VERSION}): upgrade Footfall`,
    );
  }
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > upTo) continue;
    db.transaction(() => {
      db.run(migration.sql);
      db.run(`PRAGMA user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
