import type { z } from "zod";
import type { DimensionFilter } from "../schemas/analytics-query.ts";
import type { EVENT_TYPES } from "../schemas/event.ts";
import type { currentStatsSchema, sessionSchema } from "../schemas/responses.ts";

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
  /** The landing page's campaign parameters, as sent. */
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_content?: string;
  utm_term?: string;
  // Filled in from the request on events through /api/collect only (services/enrich).
  /** The referrer's host, named when well known, or `Direct / None`. */
  source?: string;
  browser?: string;
  browser_version?: string;
  os?: string;
  os_version?: string;
  /** A hash of the day's salt, the site, the IP and the User-Agent: no cookie, no IP kept. */
  visitor_id?: string;
  /** From a MaxMind City database (GEOIP_DATABASE) only. */
  region?: string;
  city?: string;
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

/** The live counters of an answer (and of ingestion's 201), as their schema says. */
export type CurrentStats = z.infer<typeof currentStatsSchema>;

/** A session as the answers show it. */
export type SessionView = z.infer<typeof sessionSchema>;

export type SessionEndReason = "timeout" | "ended" | "evicted";

export type AlertKind = "spike" | "spike_ended" | "drop" | "drop_ended" | "milestone";

export interface Alert {
  kind: AlertKind;
  level: "info" | "warning";
  message: string;
  details: Record<string, number | string>;
  timestamp: string;
  /** A site rule's alert (services/alerting): its id (the same on every instance), rule and site. */
  id?: string;
  rule_id?: number | null;
  site?: string | null;
}
