import {
  canonicalDimension,
  type Dimension,
  EVENT_DIMENSIONS,
  type FilterOperator,
  type Metric,
  PROP_PREFIX,
  type StatsQueryInput,
  TIME_DIMENSIONS,
  type TimeDimension,
  type VisitDimension,
} from "../../schemas/stats-query.ts";

export interface Filter {
  op: FilterOperator;
  dimension: Dimension;
  values: string[];
}

/** A query as the module runs it: canonical names, defaults applied. */
export interface Plan {
  site: string;
  metrics: Metric[];
  dimensions: Dimension[];
  filters: Filter[];
  orderBy: [string, "asc" | "desc"][];
  limit: number;
  offset: number;
  compare: boolean;
}

/** A request the plan cannot answer (a 400 `validation_error` naming it). */
export class QueryPlanError extends Error {}

export const isTime = (dimension: string): dimension is TimeDimension =>
  (TIME_DIMENSIONS as readonly string[]).includes(dimension);
export const isEventDimension = (dimension: string) =>
  (EVENT_DIMENSIONS as readonly string[]).includes(dimension) || dimension.startsWith(PROP_PREFIX);
export const isVisitDimension = (dimension: string): dimension is VisitDimension =>
  !isTime(dimension) && !isEventDimension(dimension);

/** Questions about events (pages, names, goals, properties) read the events; the rest visits. */
export function readsEvents(plan: Pick<Plan, "dimensions" | "filters">): boolean {
  return (
    plan.dimensions.some(isEventDimension) ||
    plan.filters.some((filter) => isEventDimension(filter.dimension))
  );
}

export function hasGoal(plan: Pick<Plan, "dimensions" | "filters">): boolean {
  return (
    plan.dimensions.includes("goal") || plan.filters.some((filter) => filter.dimension === "goal")
  );
}

export function toPlan(input: StatsQueryInput): Plan {
  const dimensions = (input.dimensions ?? []).map(canonicalDimension) as Dimension[];
  if (new Set(dimensions).size !== dimensions.length)
    throw new QueryPlanError("a dimension is given twice");
  if (dimensions.filter(isTime).length > 1) throw new QueryPlanError("at most one time dimension");
  const metrics = input.metrics as Metric[];
  if (new Set(metrics).size !== metrics.length) throw new QueryPlanError("a metric is given twice");
  const filters = (input.filters ?? []).map(([op, dimension, values]) => ({
    op,
    dimension: canonicalDimension(dimension) as Dimension,
    values,
  }));
  const plan: Plan = {
    site: (input.site ?? input.site_id) as string,
    metrics,
    dimensions,
    filters,
    orderBy: [],
    limit: input.pagination?.limit ?? input.limit ?? 100,
    offset: input.pagination?.offset ?? input.offset ?? 0,
    compare:
      input.compare === "previous_period" || input.include?.comparisons?.mode === "previous_period",
  };
  if (metrics.includes("conversion_rate") && !hasGoal(plan))
    throw new QueryPlanError('conversion_rate needs the "goal" dimension or a goal filter');
  for (const [name, direction] of input.order_by ?? []) {
    const canonical = canonicalDimension(name);
    if (!metrics.includes(name as Metric) && !dimensions.includes(canonical as Dimension))
      throw new QueryPlanError(`order_by "${name}" is neither a metric nor a dimension asked for`);
    plan.orderBy.push([metrics.includes(name as Metric) ? name : canonical, direction]);
  }
  return plan;
}
