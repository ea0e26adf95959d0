import type { MetadataValue, VisitorEvent } from "../../interfaces/analytics.ts";

// A row of the `events` table and the event it holds (SQLite's, and Postgres's in cluster mode).

/** An event as read back from the log, with its row id (its position) and receive time in ms. */
export interface LoggedEvent {
  id: number;
  event: VisitorEvent;
  receivedAt: number;
}

export interface EventRow {
  id: number;
  received_at: number;
  client_timestamp: string | null;
  type: VisitorEvent["type"];
  name: string | null;
  site: string;
  page: string;
  host: string | null;
  title: string | null;
  session_id: string;
  user_id: string | null;
  country: string;
  device: string;
  referrer: string | null;
  metadata: string;
}

/**
 * Optional text columns a row holds as the event's field of the same name (null: absent). Older
 * databases gain them, empty, by migration 5.
 */
export const OPTIONAL_COLUMNS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "source",
  "browser",
  "browser_version",
  "os",
  "os_version",
  "visitor_id",
  "region",
  "city",
] as const satisfies readonly (keyof VisitorEvent)[];

export type OptionalRow = { [Column in (typeof OPTIONAL_COLUMNS)[number]]?: string | null };

export function fromRow(row: EventRow & OptionalRow): LoggedEvent {
  const event: VisitorEvent = {
    type: row.type,
    page: row.page,
    session_id: row.session_id,
    site: row.site,
    country: row.country,
    device: row.device,
    metadata:
      row.metadata === "{}" ? {} : (JSON.parse(row.metadata) as Record<string, MetadataValue>),
    timestamp: row.client_timestamp,
    received_at: new Date(row.received_at).toISOString(),
  };
  if (row.name !== null) event.name = row.name;
  if (row.host !== null) event.host = row.host;
  if (row.title !== null) event.title = row.title;
  if (row.referrer !== null) event.referrer = row.referrer;
  if (row.user_id !== null) event.user_id = row.user_id;
  for (const column of OPTIONAL_COLUMNS) {
    const value = row[column];
    if (value !== null && value !== undefined) event[column] = value;
  }
  return { id: row.id, event, receivedAt: row.received_at };
}
