import type { SQL } from "bun";
import {
  type HistoryDatabase,
  PostgresHistoryDatabase,
  type SqlRow,
  type SqlValue,
} from "../storage/history-database.ts";

/** The advisory lock the alerting tables are created under: "alrt" in ASCII. */
const ALERTING_SCHEMA_LOCK = 0x616c7274;

/**
 * Alerting's tables in the cluster's Postgres, as SQLite's migration 9 has them (times in epoch
 * ms as BIGINT). `alert_history.rowid` stands in for SQLite's implicit rowid, so the history's
 * portable `ORDER BY raised_at DESC, rowid DESC` orders ties alike on both.
 */
export const ALERTING_TABLES = `
  CREATE TABLE IF NOT EXISTS alert_rules (
    id SERIAL PRIMARY KEY,
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS alert_rules_site ON alert_rules (site);
  CREATE TABLE IF NOT EXISTS alert_destinations (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    url TEXT NOT NULL,
    site TEXT,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS alert_history (
    id TEXT PRIMARY KEY,
    rowid BIGSERIAL NOT NULL,
    rule_id INTEGER,
    site TEXT,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    raised_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS alert_history_raised_at ON alert_history (raised_at);
  CREATE INDEX IF NOT EXISTS alert_history_rule ON alert_history (rule_id, raised_at);
  CREATE TABLE IF NOT EXISTS alert_deliveries (
    id SERIAL PRIMARY KEY,
    alert_id TEXT NOT NULL,
    destination_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    payload TEXT NOT NULL,
    UNIQUE (alert_id, destination_id)
  );
  CREATE INDEX IF NOT EXISTS alert_deliveries_pending ON alert_deliveries (status, next_attempt_at);
  CREATE INDEX IF NOT EXISTS alert_deliveries_destination ON alert_deliveries (destination_id, id);
`;

/**
 * Creates the alerting tables when missing, in one transaction holding an advisory lock, so
 * instances starting at once do not race on `CREATE ... IF NOT EXISTS` (which is not safe
 * under concurrency in Postgres: two may both try and one fails on the catalog's unique index).
 */
export async function migrateAlertingTables(sql: SQL): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${ALERTING_SCHEMA_LOCK})`;
    await tx.unsafe(ALERTING_TABLES);
  });
}

/**
 * The Postgres adapter, each call first awaiting the tables' creation (started at once; a failed
 * creation is tried again by the next call), so the stores can be built synchronously.
 */
export class MigratedPostgresDatabase implements HistoryDatabase {
  private readonly database: PostgresHistoryDatabase;
  private ready: Promise<void> | undefined;

  constructor(private readonly sql: SQL) {
    this.database = new PostgresHistoryDatabase(sql);
    void this.migrated().catch(() => {});
  }

  async all<T = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
    numbers?: readonly string[],
  ): Promise<T[]> {
    await this.migrated();
    return this.database.all<T>(sql, params, numbers);
  }

  async get<T = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
    numbers?: readonly string[],
  ): Promise<T | undefined> {
    await this.migrated();
    return this.database.get<T>(sql, params, numbers);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    await this.migrated();
    return this.database.run(sql, params);
  }

  private migrated(): Promise<void> {
    this.ready ??= migrateAlertingTables(this.sql).catch((error) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}
