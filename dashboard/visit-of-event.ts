import type { SessionActivity, ShownEvent } from "./protocol.ts";

const VISIT_FIELDS = [
  "source",
  "title",
  "referrer",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
  "browser",
  "os",
  "region",
  "city",
] as const;

/** What an event tells of its visit, for a row made before its session's activity arrives. */
export function visitOf(event: ShownEvent): Partial<SessionActivity> {
  const visit: Partial<SessionActivity> = {};
  for (const field of VISIT_FIELDS) {
    const value = event[field];
    if (value !== undefined) visit[field] = value;
  }
  if (visit.source === undefined && event.utm_source !== undefined) visit.source = event.utm_source;
  return visit;
}
