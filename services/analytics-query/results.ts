import type { Metric } from "../../schemas/stats-query.ts";

/** What the statements sum per group, by name (absent when not asked). */
export interface Figures {
  visitors?: number;
  visits?: number;
  pageviews?: number;
  events?: number;
  bounces?: number;
  duration?: number;
  /** Pageviews of the group's visits (views_per_visit's numerator). */
  sessionPageviews?: number;
  /** The visitors conversion_rate divides by. */
  totalVisitors?: number;
}

/** One group: its dimension values as the statements gave them (time: bucket index). */
export interface Group {
  values: (string | number)[];
  figures: Figures;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const share = (part: number | undefined, whole: number | undefined) =>
  whole ? (part ?? 0) / whole : 0;

/** The metrics asked for, in order, from a group's figures (rounded as the contract says). */
export function metricsOf(metrics: readonly Metric[], figures: Figures): number[] {
  return metrics.map((metric) => {
    switch (metric) {
      case "visitors":
        return figures.visitors ?? 0;
      case "visits":
        return figures.visits ?? 0;
      case "pageviews":
        return figures.pageviews ?? 0;
      case "events":
        return figures.events ?? 0;
      case "views_per_visit":
        return round2(share(figures.sessionPageviews, figures.visits));
      case "bounce_rate":
        return Math.round(share(figures.bounces, figures.visits) * 100);
      case "visit_duration":
        return Math.round(share(figures.duration, figures.visits) / 1000);
      default: // conversion_rate
        return round2(share(figures.visitors, figures.totalVisitors) * 100);
    }
  });
}

/** Percentage change, or the difference in points for rates; null when the previous is 0. */
export function changeOf(metrics: readonly Metric[], current: number[], previous: number[]) {
  return metrics.map((metric, index) => {
    const now = current[index] ?? 0;
    const before = previous[index] ?? 0;
    if (before === 0) return null;
    if (metric === "bounce_rate" || metric === "conversion_rate") return round2(now - before);
    return Math.round(((now - before) / before) * 100);
  });
}

export const keyOf = (values: readonly (string | number)[]) => JSON.stringify(values);

/** Adds a statement's rows into the groups by their dimension values. */
export function mergeRows(
  groups: Map<string, Group>,
  rows: Record<string, string | number | null>[],
  dimensions: number,
  take: (row: Record<string, string | number | null>, figures: Figures) => void,
): void {
  for (const row of rows) {
    const values: (string | number)[] = [];
    for (let i = 0; i < dimensions; i++) values.push(row[`d${i}`] ?? "(none)");
    const key = keyOf(values);
    let group = groups.get(key);
    if (group === undefined) {
      group = { values, figures: {} };
      groups.set(key, group);
    }
    take(row, group.figures);
  }
}

export interface Ranked {
  group: Group;
  metrics: number[];
}

/** Sorts by `orderBy` (metric or dimension names), then by every dimension for a stable order. */
export function rank(
  rows: Ranked[],
  orderBy: readonly [string, "asc" | "desc"][],
  metrics: readonly string[],
  dimensions: readonly string[],
): Ranked[] {
  const keys = orderBy.map(([name, direction]) => {
    const metric = metrics.indexOf(name);
    const dimension = dimensions.indexOf(name);
    return { metric, dimension, sign: direction === "asc" ? 1 : -1 };
  });
  const compareValues = (a: string | number | undefined, b: string | number | undefined) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a ?? "") < String(b ?? "")
        ? -1
        : String(a ?? "") > String(b ?? "")
          ? 1
          : 0;
  return rows.sort((a, b) => {
    for (const { metric, dimension, sign } of keys) {
      const order =
        metric >= 0
          ? (a.metrics[metric] ?? 0) - (b.metrics[metric] ?? 0)
          : compareValues(a.group.values[dimension], b.group.values[dimension]);
      if (order !== 0) return sign * order;
    }
    for (let i = 0; i < dimensions.length; i++) {
      const order = compareValues(a.group.values[i], b.group.values[i]);
      if (order !== 0) return order;
    }
    return 0;
  });
}
