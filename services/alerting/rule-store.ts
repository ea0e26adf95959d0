import type { Database } from "bun:sqlite";
import type { AlertRule, RuleInput, RulePatch } from "../../schemas/alerting.ts";

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

/** Rules per site in SQLite; the evaluator is told of every change. */
export class RuleStore {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly db: () => Database,
    private readonly defaults: RuleDefaults,
  ) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  list(site?: string): AlertRule[] {
    const rows =
      site === undefined
        ? this.db().query("SELECT * FROM alert_rules ORDER BY id").all()
        : this.db().query("SELECT * FROM alert_rules WHERE site = ? ORDER BY id").all(site);
    return (rows as RuleRow[]).map(toRule);
  }

  get(id: number): AlertRule | undefined {
    const row = this.db().query("SELECT * FROM alert_rules WHERE id = ?").get(id) as RuleRow | null;
    return row ? toRule(row) : undefined;
  }

  create(input: RuleInput, now: number): AlertRule {
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
    const row = this.db()
      .query(
        `INSERT INTO alert_rules (site, kind, enabled, settings, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        input.site,
        input.kind,
        input.enabled === false ? 0 : 1,
        JSON.stringify(settings),
        now,
        now,
      ) as RuleRow;
    this.changed();
    return toRule(row);
  }

  /** The rule changed, or undefined when there is none; a setting of another kind is refused. */
  update(id: number, patch: RulePatch, now: number): AlertRule | undefined {
    const row = this.db().query("SELECT * FROM alert_rules WHERE id = ?").get(id) as RuleRow | null;
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
    const updated = this.db()
      .query(
        "UPDATE alert_rules SET enabled = ?, settings = ?, updated_at = ? WHERE id = ? RETURNING *",
      )
      .get(
        enabled === undefined ? row.enabled : enabled ? 1 : 0,
        JSON.stringify(settings),
        now,
        id,
      ) as RuleRow;
    this.changed();
    return toRule(updated);
  }

  remove(id: number): boolean {
    const removed = this.db().query("DELETE FROM alert_rules WHERE id = ?").run(id).changes > 0;
    if (removed) this.changed();
    return removed;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
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
