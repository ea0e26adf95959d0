import type { Database } from "bun:sqlite";
import type { SQL } from "bun";

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

/**
 * The one seam between the readers of history (the query module, goals, sites, time series and
 * rankings, ended sessions, the export) and a database: SQLite in one process, Postgres in a
 * cluster. Statements are the portable SQL of services/analytics-query/sql.ts, with numbered
 * parameters (`?1`) or plain `?` ones. `numbers` names the columns to answer as JS numbers:
 * Postgres sends BIGINT, COUNT and SUM as text, SQLite as numbers already.
 */
export interface HistoryDatabase {
  /**
   * The table the query module reads events from: SQLite's own copy of what it reads
   * (`query_events`, kept off the ingest path); `events` when absent (Postgres's archive).
   */
  readonly queryEvents?: string;
  all<T = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
    numbers?: readonly string[],
  ): Promise<T[]>;
  get<T = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
    numbers?: readonly string[],
  ): Promise<T | undefined>;
  /** A write; resolves to the rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

/** bun:sqlite underneath, synchronous: each call answers at once (a resolved promise). */
export class SqliteHistoryDatabase implements HistoryDatabase {
  readonly queryEvents = "query_events";

  /** `database` is asked each time: storage replaces the connection when it rebuilds the file. */
  constructor(private readonly database: () => Database) {}

  async all<T = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.database()
      .query(sql)
      .all(...params) as T[];
  }

  async get<T = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (this.database()
      .query(sql)
      .get(...params) ?? undefined) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const { changes } = this.database()
      .query(sql)
      .run(...params);
    return { changes };
  }
}

/** Bun's `SQL` client: the statement's parameters are rewritten as Postgres numbers them. */
export class PostgresHistoryDatabase implements HistoryDatabase {
  private readonly texts = new Map<string, string>();

  constructor(private readonly sql: SQL) {}

  async all<T = SqlRow>(
    sql: string,
    params: readonly SqlValue[] = [],
    numbers: readonly string[] = [],
  ): Promise<T[]> {
    const rows = (await this.sql.unsafe(this.text(sql), [...params])) as SqlRow[];
    return rows.map((row) => normalise(row, numbers) as T);
  }

  async get<T = SqlRow>(
    sql: string,
    params: readonly SqlValue[] = [],
    numbers: readonly string[] = [],
  ): Promise<T | undefined> {
    return (await this.all<T>(sql, params, numbers))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const result = (await this.sql.unsafe(this.text(sql), [...params])) as unknown as {
      count?: number | null;
    };
    return { changes: Number(result.count ?? 0) };
  }

  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = toPostgresParameters(sql);
      if (this.texts.size < 1000) this.texts.set(sql, text);
    }
    return text;
  }
}

/**
 * `?1` becomes `$1` and each plain `?` the next number; string literals are left alone. The one
 * place the two dialects' parameters differ.
 */
export function toPostgresParameters(sql: string): string {
  let out = "";
  let next = 1;
  let quoted = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'") quoted = !quoted;
    if (quoted || c !== "?") {
      out += c;
      continue;
    }
    let digits = "";
    while (/[0-9]/.test(sql[i + 1] ?? "")) digits += sql[++i];
    out += `$${digits || next++}`;
  }
  return out;
}

/** Bun.sql answers BIGINT and NUMERIC as strings (or bigint): the columns named become numbers. */
function normalise(row: SqlRow, numbers: readonly string[]): SqlRow {
  for (const key in row) {
    const value = row[key];
    if (typeof value === "bigint") row[key] = Number(value);
  }
  for (const key of numbers) {
    const value = row[key];
    if (typeof value === "string") row[key] = Number(value);
  }
  return row;
}
