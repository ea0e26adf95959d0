import { element } from "./elements.ts";
import { formatCount, formatDuration } from "./format.ts";
import type { SessionView } from "./protocol.ts";
import type { SessionRow } from "./state.ts";

export type SessionLookup =
  | { found: true; session: SessionView }
  | { found: false; reason: "gone" | "unauthorized" | "failed" };

/** The whole session from `GET /api/analytics/sessions/:id`: the live rows hold what frames sent. */
export async function fetchSession(token: string, sessionId: string): Promise<SessionLookup> {
  try {
    const response = await fetch(`/api/analytics/sessions/${encodeURIComponent(sessionId)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 404) return { found: false, reason: "gone" };
    if (response.status === 401) return { found: false, reason: "unauthorized" };
    if (!response.ok) return { found: false, reason: "failed" };
    const body = (await response.json()) as { data?: { session?: SessionView } };
    const session = body.data?.session;
    return session ? { found: true, session } : { found: false, reason: "failed" };
  } catch {
    return { found: false, reason: "failed" };
  }
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
    ...fact("Session", session.session_id),
    ...fact("Country", session.country),
    ...fact("Device", session.device),
    ...fact("Site", session.site),
    ...fact("Duration", formatDuration(session.duration)),
    ...fact("Pageviews", formatCount(session.page_views)),
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
    session.journeyTruncated
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
