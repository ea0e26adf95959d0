import { apiGet } from "./api.ts";
import { countryLabel } from "./countries.ts";
import { element } from "./elements.ts";
import { deviceLabel, formatCount, formatDuration } from "./format.ts";
import type { SessionLookup as FoundSession } from "./protocol.ts";
import type { SessionRow } from "./session-row.ts";

export type SessionLookup =
  | { found: true; session: FoundSession }
  | { found: false; reason: "gone" | "unauthorized" | "failed" };

/**
 * The whole session from `GET /api/analytics/sessions/:id`, active or ended (the server keeps
 * ended ones, journey included): the live rows hold only what frames sent.
 */
export async function fetchSession(token: string, sessionId: string): Promise<SessionLookup> {
  const answer = await apiGet<{ session?: FoundSession }>(
    token,
    `/api/analytics/sessions/${encodeURIComponent(sessionId)}`,
  );
  if (!answer.ok) {
    return { found: false, reason: answer.reason === "not_found" ? "gone" : answer.reason };
  }
  const session = answer.data.session;
  return session ? { found: true, session } : { found: false, reason: "failed" };
}

export function renderJourney(
  container: HTMLElement,
  session: SessionRow | undefined,
  note: string | undefined,
): void {
  if (!session) {
    container.replaceChildren(
      element("p", { class: "muted" }, "Pick a session to see the pages it visited."),
    );
    return;
  }
  const facts = element(
    "dl",
    { class: "facts" },
    ...fact("Entry page", session.entry_page),
    ...optionalFact("Page title", session.title),
    ...optionalFact("Source", session.source),
    ...optionalFact("Referrer", session.referrer),
    ...optionalFact("Campaign", campaignOf(session)),
    ...fact("Country", countryLabel(session.country)),
    ...optionalFact("Region", [session.city, session.region].filter(Boolean).join(", ")),
    ...fact("Device", deviceLabel(session)),
    ...fact("Site", session.site),
    ...fact("Duration", formatDuration(session.duration)),
    ...fact("Pageviews", formatCount(session.page_views)),
    ...fact("Session", session.session_id),
  );
  const steps = session.journey.map((page, index) =>
    element(
      "li",
      {
        "data-testid": "journey-page",
        class: index === session.journey.length - 1 ? "current" : "",
      },
      page,
    ),
  );
  const parts = [
    facts,
    session.journey_truncated
      ? element(
          "p",
          { class: "muted" },
          `Earlier pages are not kept: the last ${session.journey.length} of ${formatCount(session.page_views)} pageviews.`,
        )
      : undefined,
    steps.length > 0
      ? element("ol", { class: "journey-pages" }, ...steps)
      : element("p", { class: "muted" }, "No pageviews yet."),
    note ? element("p", { class: "note", "data-testid": "journey-note" }, note) : undefined,
  ];
  container.replaceChildren(...parts.filter((part) => part !== undefined));
}

function fact(term: string, value: string): HTMLElement[] {
  return [element("dt", {}, term), element("dd", {}, value)];
}

function optionalFact(term: string, value: string | undefined): HTMLElement[] {
  return value ? fact(term, value) : [];
}

function campaignOf(session: SessionRow): string | undefined {
  const parts = [session.utm_campaign, session.utm_medium].filter(Boolean);
  return parts.length > 0 ? parts.join(" · ") : undefined;
}
