import type { DimensionFilter } from "./analytics-query.ts";

// The one filter rule, shared by the server (feeds, lists, answers) and the dashboard, which
// Bun.build bundles for the browser: this module imports nothing at run time.

/**
 * Whether an event or a session falls under a filter: every dimension the filter names must be
 * equal (an event's `page`, a session's `current_page`); a dimension it leaves out matches all.
 */
export function matchesFilter(
  item: { site: string; country: string; current_page?: string; page?: string },
  filter: DimensionFilter,
): boolean {
  return (
    (filter.site === undefined || filter.site === item.site) &&
    (filter.country === undefined || filter.country === item.country) &&
    (filter.page === undefined || filter.page === (item.current_page ?? item.page))
  );
}

export function isEmptyFilter(filter: DimensionFilter): boolean {
  return filter.site === undefined && filter.country === undefined && filter.page === undefined;
}
