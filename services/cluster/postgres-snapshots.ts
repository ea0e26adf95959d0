import type { SQL } from "bun";

/** The advisory lock the snapshot writer holds: "fsnp" in ASCII (migrations hold "foot"). */
const SNAPSHOT_LOCK = 0x66736e70;
/** Snapshots kept: the newest few, so a reader never meets one deleted under it. */
const KEEP = 3;

export interface PostgresSnapshot {
  position: number;
  state: Record<string, unknown>;
}

/**
 * The live state's snapshots in Postgres, shared by every instance: each holds the same state at a
 * given stream position, so one snapshot (the same opaque JSON SQLite's store keeps) serves them
 * all. One instance writes at a time (an advisory lock); the others skip that interval.
 */
export class PostgresSnapshots {
  private constructor(private readonly sql: SQL) {}

  /** Creates the table if missing, under the lock, so instances starting at once do not race. */
  static async open(sql: SQL): Promise<PostgresSnapshots> {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${SNAPSHOT_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS snapshots (
        position BIGINT PRIMARY KEY,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        state TEXT NOT NULL)`;
    });
    return new PostgresSnapshots(sql);
  }

  async latest(): Promise<PostgresSnapshot | undefined> {
    const [row] = await this.sql`SELECT position, state FROM snapshots
      ORDER BY position DESC LIMIT 1`;
    if (!row) return undefined;
    const { position, state } = row as { position: string | number; state: string };
    return { position: Number(position), state: JSON.parse(state) as Record<string, unknown> };
  }

  /**
   * Saves the state `read` gives (read only once this instance holds the lock, and only when the
   * newest snapshot is older than `minAgeMs` and behind `position`). Resolves whether it wrote.
   */
  async save(position: number, read: () => string, minAgeMs: number): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [lock] = await tx`SELECT pg_try_advisory_xact_lock(${SNAPSHOT_LOCK}) AS locked`;
      if (!(lock as { locked: boolean }).locked) return false;
      const [newest] = await tx`SELECT position,
        EXTRACT(EPOCH FROM now() - created_at) * 1000 AS age_ms
        FROM snapshots ORDER BY position DESC LIMIT 1`;
      if (newest) {
        const { position: at, age_ms } = newest as { position: string; age_ms: string };
        if (Number(at) >= position || Number(age_ms) < minAgeMs) return false;
      }
      await tx`INSERT INTO snapshots (position, state) VALUES (${position}, ${read()})
        ON CONFLICT (position) DO NOTHING`;
      await tx`DELETE FROM snapshots WHERE position NOT IN
        (SELECT position FROM snapshots ORDER BY position DESC LIMIT ${KEEP})`;
      return true;
    });
  }
}
