import { renderAlerts } from "./alerts.ts";
import type { VisitorsChart } from "./chart.ts";
import { byTestId, element, renderList } from "./elements.ts";
import type { FilterForm } from "./filters.ts";
import { formatClock, formatCount, formatDuration } from "./format.ts";
import { renderJourney } from "./journey.ts";
import type { ShownEvent } from "./protocol.ts";
import type { SessionRow } from "./session-list.ts";
import type { DashboardState } from "./state.ts";
import type { ViewPart } from "./view-changes.ts";

const TOP_ITEMS = 10;
const SESSIONS_SHOWN = 50;

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
      this.active.textContent = formatCount(state.counters?.active);
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
      renderBars(this.topCountries, [...state.countries]);
      renderBars(this.topDevices, [...state.devices]);
      this.filters.suggest(state.countries.keys(), Object.keys(state.pages));
    }
    if (changed("filter")) this.filters.showActive(state.filter);
    if (changed("feed")) renderFeed(this.feed, state.feed);
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
    const shown = Math.min(this.state.sessions.size, SESSIONS_SHOWN);
    const total = this.state.counters?.active;
    if (total === undefined || total <= shown) return "";
    return `latest ${formatCount(shown)} of ${formatCount(total)}`;
  }
}

function renderBars(list: HTMLElement, counts: [string, number][]): void {
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
    ...top.map(([label, count]) => {
      const item = element(
        "li",
        { "data-key": label, title: `${label}: ${formatCount(count)}` },
        element("span", { class: "bar-label" }, label),
        element("span", { class: "bar-count" }, formatCount(count)),
      );
      item.style.setProperty("--share", `${Math.max(2, (count / largest) * 100)}%`);
      return item;
    }),
  );
}

function renderFeed(list: HTMLElement, events: readonly ShownEvent[]): void {
  renderList(list, events, "Waiting for events…", (event) =>
    element(
      "li",
      {
        "data-testid": "feed-item",
        "data-type": event.type,
        "data-session-id": event.session_id,
      },
      element("time", { datetime: event.received_at }, formatClock(event.received_at)),
      element("span", { class: `badge badge-${event.type}` }, event.name ?? event.type),
      element("span", { class: "feed-page" }, event.page),
      element("span", { class: "feed-where muted" }, `${event.country} · ${event.device}`),
    ),
  );
}

function renderSessions(
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
          class: "session-row",
          "data-testid": "session-row",
          "data-session-id": session.session_id,
          "aria-pressed": String(session.session_id === selected),
        },
        element("span", { class: "session-page" }, session.current_page),
        element("span", { class: "session-duration" }, formatDuration(session.duration)),
        element("span", { class: "session-country" }, session.country),
        element("span", { class: "session-id muted" }, session.session_id),
      ),
    ),
  );
}
