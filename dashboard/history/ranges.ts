import type { HistoryRange } from "../url-state.ts";

export const RANGE_LABELS: Record<HistoryRange, string> = {
  day: "Today",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  month: "This month",
  "12mo": "Last 12 months",
  all: "All time",
};

/** The chart's buckets: hours for a day, days up to a month, months beyond. */
export function timeDimension(range: HistoryRange): "time:hour" | "time:day" | "time:month" {
  if (range === "day") return "time:hour";
  if (range === "12mo" || range === "all") return "time:month";
  return "time:day";
}

/** How a row's dimension reads in a filter chip. */
export const DIMENSION_LABELS: Record<string, string> = {
  page: "Page",
  entry_page: "Entry page",
  exit_page: "Exit page",
  source: "Source",
  referrer: "Referrer",
  utm_source: "UTM source",
  utm_medium: "UTM medium",
  utm_campaign: "UTM campaign",
  utm_content: "UTM content",
  utm_term: "UTM term",
  country: "Country",
  region: "Region",
  city: "City",
  device: "Device",
  browser: "Browser",
  os: "OS",
  event_name: "Event",
  goal: "Goal",
};

export function dimensionLabel(dimension: string): string {
  if (dimension.startsWith("prop:")) return `Property ${dimension.slice(5)}`;
  return DIMENSION_LABELS[dimension] ?? dimension;
}

/** A time label of the endpoint (`2026-11-30 14:00:00`, `2026-11-30`) as seconds since the epoch (UTC). */
export function labelSeconds(label: string): number {
  const iso = label.includes(" ") ? `${label.replace(" ", "T")}Z` : `${label}T00:00:00Z`;
  return Date.parse(iso) / 1000;
}
