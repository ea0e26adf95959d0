import type { MetadataValue, VisitorEvent } from "../interfaces/analytics.ts";
import { CAMPAIGN_FIELDS, type EventInput } from "../schemas/event.ts";

const ABSOLUTE_URL = /^[a-z][a-z\d+.-]*:\/\//i;

/** Reduces a full URL to its path (query and fragment dropped: they often carry personal data). */
export function splitPage(page: string): { page: string; host?: string } {
  if (ABSOLUTE_URL.test(page)) {
    try {
      const url = new URL(page);
      return { page: url.pathname || "/", host: url.host };
    } catch {
      // Not a URL after all: treat it as a path.
    }
  }
  return { page: page.startsWith("/") ? page : `/${page}` };
}

/** The last time written as ISO text: the events of one millisecond (a batch, a busy moment) share it. */
let lastAt = Number.NaN;
let lastIso = "";

function isoTime(at: number): string {
  if (at !== lastAt) {
    lastIso = new Date(at).toISOString();
    lastAt = at;
  }
  return lastIso;
}

export function toVisitorEvent(input: EventInput, receivedAt: number): VisitorEvent {
  const { page, host } = splitPage(input.page);
  // Metadata stays as the client sent it (the schema parsed it into a null-prototype object, where
  // `__proto__` is an ordinary key); `device` and `referrer` are also lifted out, as counters read them.
  const metadata: Record<string, MetadataValue> = input.metadata ?? Object.create(null);
  const device = typeof metadata.device === "string" ? metadata.device : undefined;
  const referrer = typeof metadata.referrer === "string" ? metadata.referrer : undefined;
  const event: VisitorEvent = {
    type: input.type,
    page,
    session_id: (input.session_id ?? input.sessionId) as string,
    site: input.site ?? "default",
    country: input.country ?? "unknown",
    device: device ?? "unknown",
    metadata,
    timestamp: input.timestamp ?? null,
    received_at: isoTime(receivedAt),
  };
  if (input.type === "custom" && input.name !== undefined) event.name = input.name;
  if (host !== undefined) event.host = host;
  if (input.title !== undefined) event.title = input.title;
  if (referrer !== undefined && referrer !== "") event.referrer = referrer;
  if (input.user_id !== undefined) event.user_id = input.user_id;
  for (const field of CAMPAIGN_FIELDS) {
    const value = input[field];
    if (value !== undefined) event[field] = value;
  }
  return event;
}
