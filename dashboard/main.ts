import { fetchTodaysAlerts } from "./alert-history.ts";
import { AlertSound } from "./alerts.ts";
import { onUnauthorized } from "./api.ts";
import { forgetToken, initialToken, TokenForm } from "./auth.ts";
import { VisitorsChart } from "./chart.ts";
import { DashboardConnection } from "./connection.ts";
import { byTestId } from "./elements.ts";
import { FilterForm, filterType, liveFilter, sameLiveFilter } from "./filters.ts";
import { HistoryView } from "./history/history-view.ts";
import { fetchSession } from "./journey.ts";
import {
  type ClientMessage,
  type DimensionFilter,
  endsSessions,
  isEmptyFilter,
} from "./protocol.ts";
import { Renderer } from "./render.ts";
import { SettingsView } from "./settings-view.ts";
import { SiteSwitcher } from "./site-switcher.ts";
import { DashboardState } from "./state.ts";
import { StatsRequests } from "./stats-requests.ts";
import {
  AddressBar,
  hasFilter,
  type View,
  type ViewState,
  withFilter,
  withoutFilter,
} from "./url-state.ts";

/**
 * The chart slides with the clock, and the counters are asked for again, even when no event
 * arrives: visitors leave the last minute and sessions time out without a frame saying so.
 */
const REFRESH_MS = 5_000;
const state = new DashboardState();
const stats = new StatsRequests(state, send);
const sound = new AlertSound();
const dashboard = byTestId("dashboard");
const filters = new FilterForm(byTestId<HTMLFormElement>("filters"), applyFilter);
const renderer = new Renderer(state, new VisitorsChart(byTestId("chart")), filters);
const tokenForm = new TokenForm(connect);
const addressBar = new AddressBar(followAddress);
const sites = new SiteSwitcher(byTestId<HTMLSelectElement>("site-switcher"), pickSite);
const historyView = new HistoryView(byTestId("history-view"), {
  range: (range) => changeView({ ...view, range }),
  filter: (filter) => {
    if (!hasFilter(view.filters, filter)) {
      changeView({ ...view, filters: withFilter(view.filters, filter) });
    }
  },
  unfilter: (filter) => changeView({ ...view, filters: withoutFilter(view.filters, filter) }),
});
const settingsView = new SettingsView(byTestId("settings-view"));
/** The view, site, range and filters shown: always what the address bar says. */
let view: ViewState = addressBar.read();

let connection: DashboardConnection | undefined;
let token: string | undefined;

function connect(newToken: string): void {
  connection?.stop();
  token = newToken;
  tokenForm.hide();
  showView();
  void loadSites();
  connection = new DashboardConnection(newToken, {
    status: (status) => state.setStatus(status),
    open: () => {
      const subscribing = !isEmptyFilter(state.filter);
      state.connectionOpened(subscribing);
      if (subscribing) send({ type: "subscribe", data: { filter: state.filter } });
      requestStats();
      void loadHistory();
      void loadAlertHistory();
    },
    frame: (frame) => {
      state.receive(frame);
      // A replayed alert (the state on connect) is not news: no beep on every reconnection.
      if (frame.type === "alert" && !frame.data.replayed) sound.play(frame.data);
      // Too far behind to be sent what it missed: the chart's history again (stats were asked on open).
      if (frame.type === "resync") void loadHistory();
      // A batch that dropped events leaves the breakdowns short; ended sessions lower counters.
      if ((frame.type === "visitor_batch" && frame.data.dropped) || endsSessions(frame)) {
        stats.soon();
      }
    },
    position: () => state.position,
    refused: () => askForToken(TOKEN_REFUSED),
  });
  connection.start();
}

const TOKEN_REFUSED = "The server refused this token. Enter the API token to connect.";

/** Disconnects, forgets the token and shows the form with `message`. */
function askForToken(message: string): void {
  connection?.stop();
  connection = undefined;
  forgetToken();
  token = undefined;
  dashboard.hidden = true;
  historyView.root.hidden = true;
  settingsView.root.hidden = true;
  tokenForm.show(message);
}

// Any API request answered 401 (the token changed on the server) asks for the token again.
onUnauthorized((refusedToken) => {
  if (refusedToken === token) {
    askForToken(TOKEN_REFUSED);
  }
});

function send(message: ClientMessage): void {
  connection?.send(message);
}

function requestStats(): void {
  stats.now();
}

async function loadHistory(): Promise<void> {
  if (token !== undefined) await stats.minuteHistory(token);
}

/** Today's alerts, beside the ones in progress the connection replays. */
async function loadAlertHistory(): Promise<void> {
  if (token === undefined) return;
  state.showEarlierAlerts(await fetchTodaysAlerts(token));
}

/** The form's filter (country and page), for the site chosen in the switcher. */
function applyFilter(formFilter: DimensionFilter): void {
  const live = { country: formFilter.country, page: formFilter.page };
  changeView({ ...view, live }, false);
  const filter = liveFilter(view);
  subscribe(filter);
  send({
    type: "track_dashboard_action",
    data: { action: "filter_applied", details: { filterType: filterType(filter) } },
  });
}

function subscribe(filter: DimensionFilter): void {
  state.applyFilter(filter);
  send({ type: "subscribe", data: { filter } });
  requestStats();
  void loadHistory();
}

/** A new state from the page's own controls: a new entry in the browser's history. */
function changeView(next: ViewState, render = true): void {
  view = next;
  addressBar.show(view);
  if (render) showView();
}

/** Back or forward: the state they return to. */
function followAddress(next: ViewState): void {
  view = next;
  filters.fill(liveFilter(view));
  showView();
}

function pickSite(site: string | undefined): void {
  changeView({ ...view, site });
}

/** Shows the chosen view; the Live filter and the History queries follow the state. */
function showView(): void {
  if (token === undefined) return;
  const live = view.view === "live";
  dashboard.hidden = !live;
  historyView.root.hidden = view.view !== "history";
  settingsView.root.hidden = view.view !== "settings";
  document.body.dataset.view = view.view;
  for (const tab of document.querySelectorAll<HTMLButtonElement>("[data-view]")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.view === view.view));
  }
  // The Live filter follows the site even while History shows, so coming back is current.
  const filter = liveFilter(view);
  if (!sameLiveFilter(filter, state.filter)) subscribe(filter);
  if (live || view.view === "settings") {
    sites.show(view.site, "live");
    if (!live) void settingsView.show(token);
    return;
  }
  if (view.site === undefined) {
    const busiest = sites.busiest();
    if (busiest === undefined) {
      sites.show(undefined, "history");
      historyView.showEmpty(
        sites.loaded || sitesTried ? "No site has sent events yet." : "Loading the sites…",
      );
      return;
    }
    // History always shows one site: the busiest today, written into the address to share.
    view = { ...view, site: busiest };
    addressBar.show(view, true);
    const busiestFilter = liveFilter(view);
    if (!sameLiveFilter(busiestFilter, state.filter)) subscribe(busiestFilter);
  }
  sites.show(view.site, "history");
  historyView.show({ token, site: view.site as string, range: view.range, filters: view.filters });
}

let sitesTried = false;

async function loadSites(): Promise<void> {
  if (token === undefined) return;
  const loaded = await sites.load(token);
  sitesTried = true;
  // History waiting for its default site can now show.
  if (loaded && view.view === "history" && view.site === undefined) showView();
  else sites.show(view.site, view.view);
}

for (const tab of document.querySelectorAll<HTMLButtonElement>("[data-view]")) {
  tab.addEventListener("click", () => {
    const chosen = tab.dataset.view as View;
    if (chosen === view.view) return;
    changeView({ ...view, view: chosen });
    if (chosen === "history") void loadSites();
  });
}

byTestId("clear-view").addEventListener("click", () => {
  state.clearView();
  send({ type: "track_dashboard_action", data: { action: "view_cleared" } });
});

byTestId<HTMLInputElement>("alert-sound").addEventListener("change", (event) => {
  sound.setEnabled((event.currentTarget as HTMLInputElement).checked);
});

byTestId("change-token").addEventListener("click", () =>
  askForToken("Enter the API token to connect."),
);

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-minutes]")) {
  button.addEventListener("click", () => {
    state.setRange(Number(button.dataset.minutes));
    send({ type: "track_dashboard_action", data: { action: "chart_range_changed" } });
  });
}

byTestId("sessions-list").addEventListener("click", (event) => {
  const row = (event.target as Element).closest<HTMLElement>("[data-session-id]");
  const sessionId = row?.dataset.sessionId;
  if (sessionId === undefined) return;
  state.selectSession(sessionId);
  void showJourney(sessionId);
});

/** The row shows at once what frames brought; the API then gives the whole session. */
async function showJourney(sessionId: string): Promise<void> {
  if (token === undefined) return;
  const lookup = await fetchSession(token, sessionId);
  if (lookup.found) state.showSession(lookup.session);
  else if (lookup.reason === "gone") state.sessionGone(sessionId);
  else state.journeyUnavailable(sessionId, "Could not load this session's whole journey.");
}

// A `#token=` pasted into the address bar of the open page.
window.addEventListener("hashchange", () => {
  const pasted = initialToken();
  if (pasted !== undefined && pasted !== token) connect(pasted);
});

setInterval(() => {
  state.tick();
  if (state.status === "Connected") requestStats();
}, REFRESH_MS);

filters.fill(liveFilter(view));
state.filter = liveFilter(view);
renderer.drawAll();
const startToken = initialToken();
if (startToken) connect(startToken);
else tokenForm.show("This dashboard needs the API token to show live data.");
