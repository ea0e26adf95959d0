import type { Database } from "bun:sqlite";
import type { Goal } from "../../schemas/stats-query.ts";

interface GoalRow {
  id: number;
  site: string;
  page_path: string;
}

const toGoal = (row: GoalRow): Goal => ({ ...row, display_name: `Visit ${row.page_path}` });

/** Page goals a site owner marked (custom event names are goals by themselves). */
export class GoalStore {
  constructor(private readonly database: () => Database) {}

  list(site: string | undefined): Goal[] {
    const rows = this.database()
      .query(
        "SELECT id, site, page_path FROM goals WHERE (?1 IS NULL OR site = ?1) ORDER BY site, page_path",
      )
      .all(site ?? null) as GoalRow[];
    return rows.map(toGoal);
  }

  /** Adds one; the same path twice for a site is the same goal. */
  add(site: string, pagePath: string, now: number): Goal {
    const db = this.database();
    db.query(
      "INSERT INTO goals (site, page_path, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, page_path) DO NOTHING",
    ).run(site, pagePath, now);
    const row = db
      .query("SELECT id, site, page_path FROM goals WHERE site = ?1 AND page_path = ?2")
      .get(site, pagePath) as GoalRow;
    return toGoal(row);
  }

  /** Removes one; false when there was none. */
  remove(id: number): boolean {
    return this.database().query("DELETE FROM goals WHERE id = ?1").run(id).changes > 0;
  }
}
