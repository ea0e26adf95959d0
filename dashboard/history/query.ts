import { type ApiBody, apiGetJson, apiPost } from "../api.ts";
import type { HistoryRange, ViewFilter } from "../url-state.ts";

/** A request to `POST /api/analytics/query` (docs/analytics-query.md), as the dashboard asks it. */
export interface QueryRequest {
  site: string;
  date_range: HistoryRange;
  metrics: string[];
  dimensions?: string[];
  filters?: [string, string, string[]][];
  order_by?: [string, "asc" | "desc"][];
  limit?: number;
  compare?: "previous_period";
}

export interface QueryRow {
  dimensions: string[];
  metrics: (number | null)[];
  comparison?: { metrics: (number | null)[]; change: (number | null)[] };
}

export interface QueryAnswer {
  results: QueryRow[];
  meta?: { total_rows?: number; time_labels?: string[] };
}

export interface SiteRow {
  site: string;
  visitors_today: number;
  pageviews_today: number;
  last_seen?: string;
}

/** The view's filters as the endpoint takes them: each an `is` with one value. */
export function queryFilters(filters: readonly ViewFilter[]): [string, string, string[]][] {
  return filters.map((filter) => ["is", filter.dimension, [filter.value]]);
}

export function runQuery(token: string, request: QueryRequest): Promise<ApiBody<QueryAnswer>> {
  return apiPost<QueryAnswer>(token, "/api/analytics/query", request);
}

/** The sites seen, busiest today first. */
export async function fetchSites(token: string): Promise<SiteRow[] | undefined> {
  const answer = await apiGetJson<{ sites?: SiteRow[] }>(token, "/api/analytics/sites");
  return answer.ok && Array.isArray(answer.body.sites) ? answer.body.sites : undefined;
}

/** A row's metric as a number (a missing or null figure is 0). */
export function metric(row: QueryRow | undefined, index: number): number {
  const value = row?.metrics[index];
  return typeof value === "number" ? value : 0;
}

/** What every query of the History view shares: who asks, for which site, range and filters. */
export interface QueryContext {
  token: string;
  site: string;
  range: HistoryRange;
  filters: readonly ViewFilter[];
}

/** A request for `context` with its filters, completed by `parts`. */
export function requestFor(
  context: QueryContext,
  parts: Omit<QueryRequest, "site" | "date_range">,
): QueryRequest {
  const request: QueryRequest = { site: context.site, date_range: context.range, ...parts };
  if (context.filters.length > 0) {
    request.filters = [...queryFilters(context.filters), ...(parts.filters ?? [])];
  }
  return request;
}
