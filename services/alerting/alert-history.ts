import type { Database, SQLQueryBindings } from "bun:sqlite";
import type { AlertsQuery, StoredAlert } from "../../schemas/alerting.ts";

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

/** Every alert raised, with its rule, site, values and time; keyed by its id, so kept once. */
export class AlertHistory {
  constructor(private readonly db: () => Database) {}

  /** False when an alert of this id was recorded before (a replay, or another instance's). */
  record(alert: StoredAlert): boolean {
    return (
      this.db()
        .query(
          `INSERT OR IGNORE INTO alert_history (id, rule_id, site, kind, level, message, details, raised_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          alert.id,
          alert.rule_id,
          alert.site,
          alert.kind,
          alert.level,
          alert.message,
          JSON.stringify(alert.details),
          Date.parse(alert.timestamp),
        ).changes > 0
    );
  }

  get(id: string): StoredAlert | undefined {
    const row = this.db()
      .query("SELECT * FROM alert_history WHERE id = ?")
      .get(id) as AlertRow | null;
    return row ? toAlert(row) : undefined;
  }

  /** Newest first, filtered, a page of them, with how many match in all. */
  query(query: AlertsQuery): { alerts: StoredAlert[]; total: number } {
    const where: string[] = [];
    const params: SQLQueryBindings[] = [];
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
    const db = this.db();
    const { total } = db
      .query(`SELECT COUNT(*) AS total FROM alert_history ${clause}`)
      .get(...params) as { total: number };
    const rows = db
      .query(
        `SELECT * FROM alert_history ${clause} ORDER BY raised_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, query.limit, query.offset) as AlertRow[];
    return { alerts: rows.map(toAlert), total };
  }

  /** A rule's latest alerts, newest first: where its state (raised, cooldown) stood. */
  latestOfRule(ruleId: number, limit = 20): StoredAlert[] {
    const rows = this.db()
      .query(
        "SELECT * FROM alert_history WHERE rule_id = ? ORDER BY raised_at DESC, rowid DESC LIMIT ?",
      )
      .all(ruleId, limit) as AlertRow[];
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
