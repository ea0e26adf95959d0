import { VISIT_DESCRIPTION } from "../schemas/visit-fields.ts";
import type { SessionActivity, ShownEvent } from "./protocol.ts";

/** What an event tells of its visit, for a row made before its session's activity arrives. */
export function visitOf(event: ShownEvent): Partial<SessionActivity> {
  const visit: Partial<SessionActivity> = {};
  for (const field of VISIT_DESCRIPTION) {
    const value = event[field];
    if (value !== undefined) visit[field] = value;
  }
  if (visit.source === undefined && event.utm_source !== undefined) visit.source = event.utm_source;
  return visit;
}
