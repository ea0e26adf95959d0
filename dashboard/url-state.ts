import { EVENT_DIMENSIONS, VISIT_DIMENSIONS } from "../schemas/stats-names.ts";
/**
 * What the page shows, kept in the query string so a view can be bookmarked, shared, and walked
 * with back and forward. The query string, not the fragment: `#token=` lives in the fragment and
 * is taken out of the address on load (auth.ts), which keeps the query string as it is.
 *
 * `?view=history&site=example.com&range=30d&f.country=US&f.page=%2Fpricing` (History),
 * `?site=example.com&country=India&page=%2Fin` (Live), or `?view=settings` (the alert rules and
 * destinations). Defaults are left out.
 */

export type View = "live" | "history" | "settings";

export const HISTORY_RANGES = ["day", "7d", "30d", "month", "12mo", "all"] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];
export const DEFAULT_RANGE: HistoryRange = "7d";

/** An `is` filter of the History view: rows whose `dimension` equals `value`. */
export interface ViewFilter {
  dimension: string;
  value: string;
}

export interface ViewState {
  view: View;
  /** Live: undefined is every site. History: undefined until the busiest site is known. */
  site?: string;
  range: HistoryRange;
  filters: ViewFilter[];
  /** The Live view's own filter (its form's country and page). */
  live: { country?: string; page?: string };
}

/** Dimensions a History row can filter by (as the query endpoint names them), and `prop:<name>`. */
const FILTER_DIMENSIONS = new Set<string>([...VISIT_DIMENSIONS, ...EVENT_DIMENSIONS]);
const PROP_DIMENSION = /^prop:[^\s:]{1,64}$/;
const MAX_FILTERS = 10;
const MAX_VALUE_LENGTH = 2048;
const FILTER_PREFIX = "f.";

export function isFilterDimension(dimension: string): boolean {
  return FILTER_DIMENSIONS.has(dimension) || PROP_DIMENSION.test(dimension);
}

export function isHistoryRange(value: string | null | undefined): value is HistoryRange {
  return (HISTORY_RANGES as readonly (string | null | undefined)[]).includes(value);
}

/** Reads a query string (with or without its `?`); anything unknown or malformed is left out. */
export function parseViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const range = params.get("range");
  const state: ViewState = {
    view: viewOf(params.get("view")),
    range: isHistoryRange(range) ? range : DEFAULT_RANGE,
    filters: [],
    live: {},
  };
  const site = text(params.get("site"));
  if (site !== undefined) state.site = site;
  const country = text(params.get("country"));
  const page = text(params.get("page"));
  if (country !== undefined) state.live.country = country;
  if (page !== undefined) state.live.page = page;
  for (const [key, raw] of params) {
    if (!key.startsWith(FILTER_PREFIX) || state.filters.length >= MAX_FILTERS) continue;
    const dimension = key.slice(FILTER_PREFIX.length);
    const value = text(raw);
    if (value === undefined || !isFilterDimension(dimension)) continue;
    if (!hasFilter(state.filters, { dimension, value })) state.filters.push({ dimension, value });
  }
  return state;
}

/** The query string for a state (with its `?`), or "" when everything is at its default. */
export function formatViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.view !== "live") params.set("view", state.view);
  if (state.site !== undefined) params.set("site", state.site);
  if (state.range !== DEFAULT_RANGE) params.set("range", state.range);
  for (const filter of state.filters) params.append(FILTER_PREFIX + filter.dimension, filter.value);
  if (state.live.country !== undefined) params.set("country", state.live.country);
  if (state.live.page !== undefined) params.set("page", state.live.page);
  const search = params.toString();
  return search === "" ? "" : `?${search}`;
}

export function hasFilter(filters: readonly ViewFilter[], filter: ViewFilter): boolean {
  return filters.some((f) => f.dimension === filter.dimension && f.value === filter.value);
}

/** The filters with `filter` added (one value per dimension: a new one replaces the old). */
export function withFilter(filters: readonly ViewFilter[], filter: ViewFilter): ViewFilter[] {
  return [...filters.filter((f) => f.dimension !== filter.dimension), filter].slice(-MAX_FILTERS);
}

export function withoutFilter(filters: readonly ViewFilter[], filter: ViewFilter): ViewFilter[] {
  return filters.filter((f) => !(f.dimension === filter.dimension && f.value === filter.value));
}

function viewOf(value: string | null): View {
  return value === "history" || value === "settings" ? value : "live";
}

function text(value: string | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" || trimmed.length > MAX_VALUE_LENGTH
    ? undefined
    : trimmed;
}

/**
 * The address bar as the page's state: `show` writes a new state as a history entry (or in place
 * with `replace`), and back and forward call `onChange` with the state they return to.
 */
export class AddressBar {
  constructor(onChange: (state: ViewState) => void) {
    window.addEventListener("popstate", () => onChange(this.read()));
  }

  read(): ViewState {
    return parseViewState(location.search);
  }

  show(state: ViewState, replace = false): void {
    const search = formatViewState(state);
    if (search === location.search) return;
    const url = location.pathname + search + location.hash;
    if (replace) history.replaceState(history.state, "", url);
    else history.pushState(null, "", url);
  }
}
