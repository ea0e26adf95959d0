// The query endpoint's names (metrics, dimensions, ranges, operators), free of zod: the
// dashboard's bundle imports them too.

export const METRICS = [
  "visitors",
  "visits",
  "pageviews",
  "views_per_visit",
  "bounce_rate",
  "visit_duration",
  "events",
  "conversion_rate",
] as const;
export type Metric = (typeof METRICS)[number];

/** A session has one value of each. */
export const VISIT_DIMENSIONS = [
  "entry_page",
  "exit_page",
  "source",
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "country",
  "region",
  "city",
  "device",
  "browser",
  "os",
] as const;
/** Each event has its own (and `prop:<name>`, a custom event's property). */
export const EVENT_DIMENSIONS = ["page", "event_name", "goal"] as const;
export const TIME_DIMENSIONS = ["time:hour", "time:day", "time:month"] as const;
export const DATE_RANGES = ["day", "7d", "30d", "month", "12mo", "all"] as const;
export const FILTER_OPERATORS = ["is", "is_not", "contains", "contains_not"] as const;
