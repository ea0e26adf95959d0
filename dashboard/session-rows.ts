import { countryLabel } from "./countries.ts";
import { element, renderList } from "./elements.ts";
import { deviceLabel, formatDuration } from "./format.ts";
import type { SessionRow } from "./session-row.ts";

export const SESSIONS_SHOWN = 50;

/**
 * The sessions list: each row reads as a visit (its current page or that page's title, how long,
 * where from, where it entered, on what), newest first. The session id, a random string, is only
 * in the row's tooltip and its journey. A visitor who left shows as left for a while.
 */
export function renderSessions(
  list: HTMLElement,
  sessions: Iterable<SessionRow>,
  selected: string | undefined,
): void {
  const newest = [...sessions].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, SESSIONS_SHOWN);
  renderList(list, newest, "No active sessions.", (session) =>
    element(
      "li",
      {},
      element(
        "button",
        {
          type: "button",
          class: `session-row session-${session.state}`,
          "data-testid": "session-row",
          "data-session-id": session.session_id,
          "data-state": session.state,
          "aria-pressed": String(session.session_id === selected),
          title: `Session ${session.session_id}`,
        },
        element(
          "span",
          { class: "session-page", title: session.current_page },
          session.title || session.current_page,
        ),
        element(
          "span",
          { class: "session-duration" },
          session.state === "left" ? "left" : formatDuration(session.duration),
        ),
        element(
          "span",
          { class: "session-country", "data-testid": "session-country" },
          countryLabel(session.country),
        ),
        element(
          "span",
          { class: "session-id session-visit muted" },
          element("span", { "data-testid": "session-entry" }, `in at ${session.entry_page}`),
          " · ",
          element("span", { "data-testid": "session-source" }, session.source ?? "Direct / None"),
          " · ",
          element("span", { "data-testid": "session-device" }, deviceLabel(session)),
        ),
      ),
    ),
  );
}
