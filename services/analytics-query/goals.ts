import type { Goal } from "../../schemas/stats-query.ts";
import type { HistoryDatabase } from "../storage/history-database.ts";

interface GoalRow {
  id: number;
  site: string;
  page_path: string;
}

const toGoal = (row: GoalRow): Goal => ({ ...row, display_name: `Visit ${row.page_path}` });

/** Page goals a site owner marked (custom event names are goals by themselves). */
export class GoalStore {
  constructor(private readonly database: HistoryDatabase) {}

  async list(site: string | undefined): Promise<Goal[]> {
    // Two statements: Postgres cannot type a parameter only tested for NULL.
    const rows =
      site === undefined
        ? await this.database.all<GoalRow>(
            "SELECT id, site, page_path FROM goals ORDER BY site, page_path",
            [],
            ["id"],
          )
        : await this.database.all<GoalRow>(
            "SELECT id, site, page_path FROM goals WHERE site = ?1 ORDER BY site, page_path",
            [site],
            ["id"],
          );
    return rows.map(toGoal);
  }

  /** Adds one; the same path twice for a site is the same goal. */
  async add(site: string, pagePath: string, now: number): Promise<Goal> {
    await this.database.run(
      "INSERT INTO goals (site, page_path, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (site, page_path) DO NOTHING",
      [site, pagePath, now],
    );
    const row = (await this.database.get<GoalRow>(
      "SELECT id, site, page_path FROM goals WHERE site = ?1 AND page_path = ?2",
      [site, pagePath],
      ["id"],
    )) as GoalRow;
    return toGoal(row);
  }

  /** Removes one; false when there was none. */
  async remove(id: number): Promise<boolean> {
    return (await this.database.run("DELETE FROM goals WHERE id = ?1", [id])).changes > 0;
  }
}
