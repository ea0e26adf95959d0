import { PROP_PREFIX, type TimeDimension } from "../../schemas/stats-query.ts";
import { type DayRange, timeBuckets } from "./date-range.ts";
import { type Filter, isEventDimension, isTime, isVisitDimension, type Plan } from "./plan.ts";

// Portable SQL only (SQLite and Postgres run the same text): numbered parameters (the Postgres
// adapter renumbers them as $N), epoch-ms integer arithmetic for time (integer parameters, so
// both divide as integers), LOWER on both sides of every LIKE (SQLite's LIKE ignores ASCII case,
// Postgres's does not), ESCAPE '\' spelled out, no JSON or date functions.

/** A page goal: its display name and its path pattern (`*` any characters). */
export interface PageGoal {
  name: string;
  path: string;
}

export interface Statement {
  sql: string;
  params: (string | number)[];
}

/** Numbered parameters (`?1`), so fragments can be built in any order. */
class Params {
  readonly values: (string | number)[] = [];
  private readonly known = new Map<string | number, string>();
  add(value: string | number): string {
    let name = this.known.get(value);
    if (name === undefined) {
      this.values.push(value);
      name = `?${this.values.length}`;
      this.known.set(value, name);
    }
    return name;
  }
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
/** A goal's path as a LIKE pattern: `*` any characters, everything else literal. */
export const likeOfPath = (path: string) => path.split("*").map(escapeLike).join("%");

function condition(expr: string, op: Filter["op"], values: string[], p: Params): string {
  const positive =
    op === "is" || op === "is_not"
      ? `${expr} IN (${values.map((value) => p.add(value)).join(", ")})`
      : `(${values
          .map(
            (v) => `LOWER(${expr}) LIKE ${p.add(`%${escapeLike(v.toLowerCase())}%`)} ESCAPE '\\'`,
          )
          .join(" OR ")})`;
  return op === "is" || op === "contains" ? positive : `NOT (${positive})`;
}

const negated = (op: Filter["op"]) => op === "is_not" || op === "contains_not";
const positiveOf = (op: Filter["op"]): Filter["op"] =>
  op === "is_not" ? "is" : op === "contains_not" ? "contains" : op;

const visitColumn = (dimension: string, alias = "s") => `COALESCE(${alias}.${dimension}, '(none)')`;

/** The builder of one plan's statements over one range. */
export class QuerySql {
  private readonly p = new Params();
  private readonly props = new Map<string, string>();

  /** `events`: the table of events to read (HistoryDatabase.queryEvents). */
  constructor(
    private readonly events: string,
    private readonly plan: Pick<Plan, "site" | "dimensions" | "filters">,
    private readonly range: DayRange,
    private readonly goals: readonly PageGoal[],
  ) {}

  private get site() {
    return this.p.add(this.plan.site);
  }
  private get from() {
    return this.p.add(this.range.from);
  }
  private get to() {
    return this.p.add(this.range.to);
  }

  private time(dimension: TimeDimension, column: string): string {
    const buckets = timeBuckets(dimension, this.range);
    if (buckets.width > 0) return `(${column} - ${this.from}) / ${this.p.add(buckets.width)}`;
    if (buckets.boundaries.length === 0) return "0";
    const cases = buckets.boundaries.map(
      (at, index) => `WHEN ${column} < ${this.p.add(at)} THEN ${index}`,
    );
    return `CASE ${cases.join(" ")} ELSE ${buckets.boundaries.length} END`;
  }

  private propAlias(name: string): string {
    let alias = this.props.get(name);
    if (alias === undefined) {
      alias = `p${this.props.size}`;
      this.props.set(name, alias);
    }
    return alias;
  }

  /** A dimension's value on an event row `e` (joined to its session `s` when needed). */
  private eventDimension(dimension: string): string {
    if (isTime(dimension)) return this.time(dimension, "e.received_at");
    if (isVisitDimension(dimension)) return visitColumn(dimension);
    if (dimension === "page") return "e.page";
    if (dimension === "event_name") return "e.name";
    if (dimension === "goal") return "e.goal";
    return `COALESCE(${this.propAlias(dimension.slice(PROP_PREFIX.length))}.value, '(none)')`;
  }

  private eventFilter({ op, dimension, values }: Filter): string {
    if (isVisitDimension(dimension)) return condition(visitColumn(dimension), op, values, this.p);
    if (dimension === "page") return condition("e.page", op, values, this.p);
    const positive = positiveOf(op);
    let matches: string;
    if (dimension === "event_name") {
      matches = `(e.type = 'custom' AND ${condition("e.name", positive, values, this.p)})`;
    } else if (dimension === "goal") {
      matches = this.goalMatch(positive, values);
    } else {
      const key = this.p.add(dimension.slice(PROP_PREFIX.length));
      matches = `EXISTS (SELECT 1 FROM event_props f WHERE f.event_id = e.id AND f.key = ${key}
        AND ${condition("f.value", positive, values, this.p)})`;
    }
    return negated(op) ? `NOT ${matches}` : matches;
  }

  /** Events that count as one of the goals named (`is`) or whose name contains a value. */
  private goalMatch(op: Filter["op"], values: string[]): string {
    const lowered = values.map((value) => value.toLowerCase());
    const pageGoals = this.goals.filter((goal) =>
      op === "is"
        ? values.includes(goal.name)
        : lowered.some((value) => goal.name.toLowerCase().includes(value)),
    );
    const alternatives = [`(e.type = 'custom' AND ${condition("e.name", op, values, this.p)})`];
    for (const goal of pageGoals)
      alternatives.push(
        `(e.type = 'pageview' AND LOWER(e.page) LIKE LOWER(${this.p.add(likeOfPath(goal.path))}) ESCAPE '\\')`,
      );
    return `(${alternatives.join(" OR ")})`;
  }

  /** The events of the range, one row per goal an event reaches when grouped by goal. */
  private eventsFrom(): string {
    if (!this.plan.dimensions.includes("goal")) return this.events;
    const where = `e0.site = ${this.site} AND e0.received_at >= ${this.from} AND e0.received_at < ${this.to}`;
    const parts = [
      `SELECT e0.*, e0.name AS goal FROM ${this.events} e0 WHERE ${where} AND e0.type = 'custom'`,
    ];
    for (const goal of this.goals)
      parts.push(
        `SELECT e0.*, CAST(${this.p.add(goal.name)} AS TEXT) AS goal FROM ${this.events} e0 WHERE ${where}
          AND e0.type = 'pageview' AND LOWER(e0.page) LIKE LOWER(${this.p.add(likeOfPath(goal.path))}) ESCAPE '\\'`,
      );
    return `(${parts.join(" UNION ALL ")})`;
  }

  /**
   * FROM, joins and WHERE of the range's events under `plan`'s filters; joined to their session as
   * `sessionAlias` when a visit dimension or filter needs it, or always when it is not `s`.
   */
  private eventRows(plan: Pick<Plan, "dimensions" | "filters">, sessionAlias = "s"): string {
    const { dimensions, filters } = plan;
    const needsSession =
      dimensions.some(isVisitDimension) || filters.some((f) => isVisitDimension(f.dimension));
    const where = [
      `e.site = ${this.site}`,
      `e.received_at >= ${this.from}`,
      `e.received_at < ${this.to}`,
      "e.type <> 'session_end'",
    ];
    // Pages are broken down by their pageviews; names and properties by custom events.
    if (dimensions.includes("page")) where.push("e.type = 'pageview'");
    if (dimensions.some((d) => d === "event_name" || d.startsWith(PROP_PREFIX)))
      where.push("e.type = 'custom'");
    for (const filter of filters) where.push(this.eventFilter(filter));
    let sql = `FROM ${this.eventsFrom()} e`;
    if (needsSession || sessionAlias !== "s")
      sql += ` JOIN sessions ${sessionAlias} ON ${sessionAlias}.session_id = e.session_id
        AND ${sessionAlias}.started_at <= e.received_at AND ${sessionAlias}.last_activity >= e.received_at`;
    // Props are joined once the dimension expressions have named them.
    for (const [name, alias] of this.props)
      sql += ` LEFT JOIN event_props ${alias} ON ${alias}.event_id = e.id AND ${alias}.key = ${this.p.add(name)}`;
    return `${sql} WHERE ${where.join(" AND ")}`;
  }

  /** Event figures per group: unique visitors, pageviews, events. */
  eventFigures(): Statement {
    const dims = this.plan.dimensions.map((d) => this.eventDimension(d));
    const select = [
      ...dims.map((expr, i) => `${expr} AS d${i}`),
      "COUNT(DISTINCT COALESCE(e.visitor_id, e.user_id, e.session_id)) AS visitors",
      "SUM(CASE WHEN e.type = 'pageview' THEN 1 ELSE 0 END) AS pageviews",
      "COUNT(*) AS events",
    ];
    const from = this.eventRows(this.plan);
    return this.statement(`SELECT ${select.join(", ")} ${from}${groupBy(dims.length)}`);
  }

  /**
   * Visit figures per group: from the sessions that started in the range alone, or, when events
   * are asked about, from those with a matching event (grouped by that event's values).
   */
  visitFigures(readsEvents: boolean): Statement {
    const { dimensions, filters } = this.plan;
    const where = [
      `s.site = ${this.site}`,
      `s.started_at >= ${this.from}`,
      `s.started_at < ${this.to}`,
    ];
    for (const filter of filters)
      if (isVisitDimension(filter.dimension))
        where.push(condition(visitColumn(filter.dimension), filter.op, filter.values, this.p));
    let from = "FROM sessions s";
    const dims: string[] = [];
    if (readsEvents) {
      const eventDims = dimensions.filter(isEventDimension);
      const inner = eventDims.map((d, i) => `${this.eventDimension(d)} AS m${i}`);
      const eventFilters = filters.filter((f) => isEventDimension(f.dimension));
      const rows = this.eventRows({ dimensions: eventDims, filters: eventFilters }, "s2");
      from += ` JOIN (SELECT DISTINCT ${[...inner, "e.session_id AS sid", "s2.started_at AS sst"].join(", ")} ${rows}) m
        ON m.sid = s.session_id AND m.sst = s.started_at`;
      let index = 0;
      for (const d of dimensions)
        dims.push(isEventDimension(d) ? `m.m${index++}` : this.visitDimension(d));
    } else {
      for (const d of dimensions) dims.push(this.visitDimension(d));
    }
    const select = [
      ...dims.map((expr, i) => `${expr} AS d${i}`),
      "COUNT(DISTINCT s.visitor_key) AS visitors",
      "COUNT(*) AS visits",
      "SUM(s.page_views) AS pageviews",
      "SUM(COALESCE(s.events, s.page_views)) AS events",
      "SUM(CASE WHEN s.page_views <= 1 THEN 1 ELSE 0 END) AS bounces",
      "SUM(s.last_activity - s.started_at) AS duration",
    ];
    return this.statement(
      `SELECT ${select.join(", ")} ${from} WHERE ${where.join(" AND ")}${groupBy(dims.length)}`,
    );
  }

  private visitDimension(dimension: string): string {
    return isTime(dimension) ? this.time(dimension, "s.started_at") : visitColumn(dimension);
  }

  private statement(sql: string): Statement {
    return { sql, params: this.p.values };
  }
}

function groupBy(count: number): string {
  if (count === 0) return "";
  return ` GROUP BY ${Array.from({ length: count }, (_, i) => `d${i}`).join(", ")}`;
}
