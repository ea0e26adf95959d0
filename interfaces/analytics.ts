import type { DimensionFilter } from "../schemas/analytics-query.ts";
import type { EVENT_TYPES } from "../schemas/event.ts";

export type { DimensionFilter };
export type EventType = (typeof EVENT_TYPES)[number];
export type MetadataValue = string | number | boolean | null;

/** An event after validation and normalisation: what every subscriber of the bus sees. */
export interface VisitorEvent {
  type: EventType;
  name?: string;
  page: string;
  host?: string;
  title?: string;
  session_id: string;
  site: string;
  country: string;
  device: string;
  referrer?: string;
  user_id?: string;
  metadata: Record<string, MetadataValue>;
  /** The client's clock, as sent; null when it sent none. */
  timestamp: string | null;
  /** The server's receive time (ISO); every live window and "today" use it. */
  received_at: string;
}

/** The three dimensions every live counter is kept by. */
export interface Dimensions {
  site: string;
  country: string;
  page: string;
}

export interface CurrentStats {
  total_active: number;
  total_today: number;
  /** The most viewed pages (at most STATS_MAX_PAGES), the rest summed as `(other)`. */
  pages_visited: Readonly<Record<string, number>>;
  /** Distinct pages counted under the filter, listed or not. */
  pages_total: number;
}

export interface SessionView {
  session_id: string;
  site: string;
  current_page: string;
  journey: string[];
  journey_truncated: boolean;
  duration: number;
  country: string;
  device: string;
  started_at: string;
  last_activity: string;
  page_views: number;
}

export type SessionEndReason = "timeout" | "ended" | "evicted";

export type AlertKind = "spike" | "spike_ended" | "milestone";

export interface Alert {
  kind: AlertKind;
  level: "info" | "warning";
  message: string;
  details: Record<string, number | string>;
  timestamp: string;
}
