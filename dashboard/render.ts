import { renderAlerts } from "./alerts.ts";
import type { VisitorsChart } from "./chart.ts";
import { countryLabel } from "./countries.ts";
import { byTestId, element, renderList } from "./elements.ts";
import type { FilterForm } from "./filters.ts";
import { formatClock, formatCount } from "./format.ts";
import { renderJourney } from "./journey.ts";
import type { ShownEvent } from "./protocol.ts";
import type { RowState } from "./session-row.ts";
import { renderSessions, SESSIONS_SHOWN } from "./session-rows.ts";
import type { DashboardState } from "./state.ts";
import type { ViewPart } from "./view-changes.ts";

const TOP_ITEMS = 10;

/**
 * Draws the state. Frames can arrive far faster than the screen refreshes (a burst sends a batch
 * every 50 ms with hundreds of events), so changes are collected and drawn at most once per
 * animation frame, each part only when it changed.
 */
export class Renderer {
  private frame: number | undefined;
  /** Draws so far, shown as `data-draws` on <body> so tests can see they are coalesced. */
  private draws = 0;
  private readonly status = byTestId("connection-status");
  private readonly dashboards = byTestId("dashboard-count");
  private readonly active = byTestId("active-visitors");
  /** Optional: a page without the counter still draws the rest. */
  private readonly rightNow = document.querySelector<HTMLElement>(
    '[data-testid="visitors-right-now"]',
  );
  private readonly lastMinute = byTestId("visitors-last-minute");
  private readonly today = byTestId("pageviews-today");
  private readonly topPages = byTestId("top-pages");
  private readonly topCountries = byTestId("top-countries");
  private readonly topDevices = byTestId("top-devices");
  private readonly feed = byTestId("event-feed");
  private readonly sessions = byTestId("sessions-list");
  private readonly sessionsSummary = byTestId("sessions-summary");
  private readonly journey = byTestId("journey");
  private readonly alerts = byTestId("alerts");
  private readonly notice = byTestId("notice");
  private readonly rangeButtons = [
    ...document.querySelectorAll<HTMLButtonElement>("[data-minutes]"),
  ];

  constructor(
    private readonly state: DashboardState,
    private readonly chart: VisitorsChart,
    private readonly filters: FilterForm,
  ) {
    state.onChange(() => this.schedule());
  }

  schedule(): void {
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  /** Draws everything now (first paint). */
  drawAll(): void {
    this.state.takeDirty();
    this.draw(true);
  }

  private draw(all = false): void {
    const { state } = this;
    const dirty = state.takeDirty();
    document.body.dataset.draws = String(++this.draws);
    const changed = (part: ViewPart) => all || dirty.has(part);

    if (changed("status")) {
      this.status.textContent = state.status;
      this.status.dataset.status = state.status;
    }
    if (changed("dashboards")) this.dashboards.textContent = formatCount(state.dashboards);
    if (changed("counters")) {
      this.active.textContent = formatCount(state.activeShown);
      if (this.rightNow) this.rightNow.textContent = formatCount(state.counters?.rightNow);
      this.lastMinute.textContent = formatCount(state.counters?.lastMinute);
      this.today.textContent = formatCount(state.counters?.today);
      this.sessionsSummary.textContent = this.describeSessions();
    }
    if (changed("chart")) {
      this.chart.update(state.visitors.series(Date.now(), state.rangeMinutes));
      for (const button of this.rangeButtons) {
        button.setAttribute(
          "aria-pressed",
          String(Number(button.dataset.minutes) === state.rangeMinutes),
        );
      }
    }
    if (changed("breakdowns")) {
      renderBars(this.topPages, Object.entries(state.pages));
      renderBars(this.topCountries, [...state.countries], countryLabel);
      renderBars(this.topDevices, [...state.devices]);
      this.filters.suggest(state.countries.keys(), Object.keys(state.pages));
    }
    if (changed("filter")) this.filters.showActive(state.filter);
    if (changed("feed")) {
      renderFeed(this.feed, state.feed, (id) => state.sessions.get(id)?.state);
    }
    if (changed("sessions")) {
      renderSessions(this.sessions, state.sessions.values(), state.selectedSession);
      this.sessionsSummary.textContent = this.describeSessions();
    }
    if (changed("journey")) {
      const selected = state.selectedSession;
      const row =
        selected === undefined
          ? undefined
          : (state.sessions.get(selected) ?? state.journeySnapshot);
      renderJourney(this.journey, row, state.journeyNote);
    }
    if (changed("alerts")) renderAlerts(this.alerts, state.alerts);
    if (changed("notice")) {
      this.notice.textContent = state.notice ?? "";
      this.notice.hidden = state.notice === undefined;
    }
  }

  private describeSessions(): string {
    const shown = Math.min(this.state.sessionsShownActive, SESSIONS_SHOWN);
    const total = this.state.activeShown;
    if (total === undefined || total <= shown) return "";
    return `latest ${formatCount(shown)} of ${formatCount(total)}`;
  }
}

/** Bars of counts; `label` names a key for people (a country code's name and flag). */
function renderBars(
  list: HTMLElement,
  counts: [string, number][],
  label: (key: string) => string = (key) => key,
): void {
  const top = counts
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_ITEMS);
  if (top.length === 0) {
    list.replaceChildren(element("li", { class: "empty" }, "Nothing yet."));
    return;
  }
  const largest = top[0]?.[1] ?? 1;
  list.replaceChildren(
    ...top.map(([key, count]) => {
      const name = label(key);
      const item = element(
        "li",
        { "data-key": key, title: `${name}: ${formatCount(count)}` },
        element("span", { class: "bar-label" }, name),
        element("span", { class: "bar-count" }, formatCount(count)),
      );
      item.style.setProperty("--share", `${Math.max(2, (count / largest) * 100)}%`);
      return item;
    }),
  );
}

/**
 * The feed, titles beside pages where known. A `session_end` whose session resumed (a navigation)
 * is gone from it; one still within the grace reads "leaving", then "left".
 */
function renderFeed(
  list: HTMLElement,
  events: readonly ShownEvent[],
  sessionState: (sessionId: string) => RowState | undefined,
): void {
  renderList(list, events, "Waiting for events…", (event) =>
    element(
      "li",
      {
        "data-testid": "feed-item",
        "data-type": event.type,
        "data-session-id": event.session_id,
      },
      element("time", { datetime: event.received_at }, formatClock(event.received_at)),
      element("span", { class: `badge badge-${event.type}` }, badgeOf(event, sessionState)),
      element("span", { class: "feed-page" }, event.page),
      event.title
        ? element("span", { class: "feed-title muted", "data-testid": "feed-title" }, event.title)
        : undefined,
      element(
        "span",
        { class: "feed-where muted" },
        `${countryLabel(event.country)} · ${event.device}`,
      ),
    ),
  );
}

function badgeOf(
  event: ShownEvent,
  sessionState: (sessionId: string) => RowState | undefined,
): string {
  if (event.type !== "session_end") return event.name ?? event.type;
  return sessionState(event.session_id) === "leaving" ? "leaving" : "left";
}
