import type { AlertRule, RuleInput, RulePatch } from "../../schemas/alerting.ts";
import type { HistoryDatabase } from "../storage/history-database.ts";

/** What a rule leaves out of its settings: the server's ALERT_THRESHOLD and ALERT_COOLDOWN_SECONDS. */
export interface RuleDefaults {
  threshold: number;
  cooldownSeconds: number;
}

/** A change that does not fit the rule's kind (a floor on a spike rule). */
export class RuleSettingsError extends Error {
  override readonly name = "RuleSettingsError";
}

interface RuleRow {
  id: number;
  site: string;
  kind: AlertRule["kind"];
  enabled: number;
  settings: string;
  created_at: number;
  updated_at: number;
}

const SETTINGS_OF: Record<AlertRule["kind"], readonly string[]> = {
  spike: ["threshold", "cooldown_seconds"],
  drop: ["floor", "window_minutes", "active_hours", "cooldown_seconds"],
  milestone: ["milestones"],
};
const DEFAULT_DROP_WINDOW_MINUTES = 30;
/** Columns Postgres answers as text (BIGINT). */
const NUMBERS = ["created_at", "updated_at"];

/**
 * Rules per site, in SQLite or (cluster mode) the shared Postgres, through the async seam. The
 * evaluator is told of every change made here, and the call resolves once it knows.
 */
export class RuleStore {
  private readonly listeners: (() => Promise<void> | void)[] = [];

  constructor(
    private readonly db: HistoryDatabase,
    private readonly defaults: RuleDefaults,
  ) {}

  onChange(listener: () => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  async list(site?: string): Promise<AlertRule[]> {
    const rows =
      site === undefined
        ? await this.db.all<RuleRow>("SELECT * FROM alert_rules ORDER BY id", [], NUMBERS)
        : await this.db.all<RuleRow>(
            "SELECT * FROM alert_rules WHERE site = ? ORDER BY id",
            [site],
            NUMBERS,
          );
    return rows.map(toRule);
  }

  async get(id: number): Promise<AlertRule | undefined> {
    const row = await this.row(id);
    return row ? toRule(row) : undefined;
  }

  async create(input: RuleInput, now: number): Promise<AlertRule> {
    const { threshold, cooldownSeconds } = this.defaults;
    const settings =
      input.kind === "spike"
        ? {
            threshold: input.threshold ?? threshold,
            cooldown_seconds: input.cooldown_seconds ?? cooldownSeconds,
          }
        : input.kind === "drop"
          ? {
              floor: input.floor,
              window_minutes: input.window_minutes ?? DEFAULT_DROP_WINDOW_MINUTES,
              active_hours: input.active_hours ?? null,
              cooldown_seconds: input.cooldown_seconds ?? cooldownSeconds,
            }
          : { milestones: [...new Set(input.milestones ?? [])].sort((a, b) => a - b) };
    const row = (await this.db.get<RuleRow>(
      `INSERT INTO alert_rules (site, kind, enabled, settings, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      [input.site, input.kind, input.enabled === false ? 0 : 1, JSON.stringify(settings), now, now],
      NUMBERS,
    )) as RuleRow;
    await this.changed();
    return toRule(row);
  }

  /** The rule changed, or undefined when there is none; a setting of another kind is refused. */
  async update(id: number, patch: RulePatch, now: number): Promise<AlertRule | undefined> {
    const row = await this.row(id);
    if (!row) return undefined;
    const { enabled, ...changes } = patch;
    const allowed = SETTINGS_OF[row.kind];
    const foreign = Object.keys(changes).filter((name) => !allowed.includes(name));
    if (foreign.length > 0) {
      throw new RuleSettingsError(
        `a ${row.kind} rule has no ${foreign.join(", ")} (its settings: ${allowed.join(", ")})`,
      );
    }
    const settings = { ...JSON.parse(row.settings), ...changes };
    if (Array.isArray(settings.milestones)) {
      settings.milestones = [...new Set(settings.milestones as number[])].sort((a, b) => a - b);
    }
    const updated = await this.db.get<RuleRow>(
      "UPDATE alert_rules SET enabled = ?, settings = ?, updated_at = ? WHERE id = ? RETURNING *",
      [enabled === undefined ? row.enabled : enabled ? 1 : 0, JSON.stringify(settings), now, id],
      NUMBERS,
    );
    // Removed meanwhile (another instance).
    if (!updated) return undefined;
    await this.changed();
    return toRule(updated);
  }

  async remove(id: number): Promise<boolean> {
    const { changes } = await this.db.run("DELETE FROM alert_rules WHERE id = ?", [id]);
    if (changes > 0) await this.changed();
    return changes > 0;
  }

  private row(id: number): Promise<RuleRow | undefined> {
    return this.db.get<RuleRow>("SELECT * FROM alert_rules WHERE id = ?", [id], NUMBERS);
  }

  private async changed(): Promise<void> {
    for (const listener of this.listeners) await listener();
  }
}

function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id,
    site: row.site,
    kind: row.kind,
    enabled: row.enabled === 1,
    ...JSON.parse(row.settings),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  } as AlertRule;
}
