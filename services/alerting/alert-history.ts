import type { AlertsQuery, StoredAlert } from "../../schemas/alerting.ts";
import type { HistoryDatabase, SqlValue } from "../storage/history-database.ts";

interface AlertRow {
  id: string;
  rule_id: number | null;
  site: string | null;
  kind: StoredAlert["kind"];
  level: StoredAlert["level"];
  message: string;
  details: string;
  raised_at: number;
}

/** Columns Postgres answers as text (BIGINT, COUNT). */
const NUMBERS = ["raised_at", "total"];

/**
 * Every alert raised, with its rule, site, values and time; keyed by its id, so kept once: in a
 * cluster every instance records the same alert under the same id, and the first one keeps it.
 * Ties in time are ordered by `rowid` (SQLite's own; a serial column of that name in Postgres).
 */
export class AlertHistory {
  constructor(private readonly db: HistoryDatabase) {}

  /** False when an alert of this id was recorded before (a replay, or another instance's). */
  async record(alert: StoredAlert): Promise<boolean> {
    const { changes } = await this.db.run(
      `INSERT INTO alert_history (id, rule_id, site, kind, level, message, details, raised_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [
        alert.id,
        alert.rule_id,
        alert.site,
        alert.kind,
        alert.level,
        alert.message,
        JSON.stringify(alert.details),
        Date.parse(alert.timestamp),
      ],
    );
    return changes > 0;
  }

  async get(id: string): Promise<StoredAlert | undefined> {
    const row = await this.db.get<AlertRow>(
      "SELECT * FROM alert_history WHERE id = ?",
      [id],
      NUMBERS,
    );
    return row ? toAlert(row) : undefined;
  }

  /** Newest first, filtered, a page of them, with how many match in all. */
  async query(query: AlertsQuery): Promise<{ alerts: StoredAlert[]; total: number }> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.site !== undefined) {
      where.push("site = ?");
      params.push(query.site);
    }
    if (query.rule !== undefined) {
      where.push("rule_id = ?");
      params.push(query.rule);
    }
    if (query.kind !== undefined) {
      where.push("kind = ?");
      params.push(query.kind);
    }
    if (query.from !== undefined) {
      where.push("raised_at >= ?");
      params.push(Date.parse(query.from));
    }
    if (query.to !== undefined) {
      where.push("raised_at < ?");
      params.push(Date.parse(query.to));
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const counted = await this.db.get<{ total: number }>(
      `SELECT COUNT(*) AS total FROM alert_history ${clause}`,
      params,
      NUMBERS,
    );
    const rows = await this.db.all<AlertRow>(
      `SELECT * FROM alert_history ${clause} ORDER BY raised_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      [...params, query.limit, query.offset],
      NUMBERS,
    );
    return { alerts: rows.map(toAlert), total: counted?.total ?? 0 };
  }

  /** A rule's latest alerts, newest first: where its state (raised, cooldown) stood. */
  async latestOfRule(ruleId: number, limit = 20): Promise<StoredAlert[]> {
    const rows = await this.db.all<AlertRow>(
      "SELECT * FROM alert_history WHERE rule_id = ? ORDER BY raised_at DESC, rowid DESC LIMIT ?",
      [ruleId, limit],
      NUMBERS,
    );
    return rows.map(toAlert);
  }
}

function toAlert(row: AlertRow): StoredAlert {
  return {
    id: row.id,
    rule_id: row.rule_id,
    site: row.site,
    kind: row.kind,
    level: row.level,
    message: row.message,
    details: JSON.parse(row.details),
    timestamp: new Date(row.raised_at).toISOString(),
  };
}
