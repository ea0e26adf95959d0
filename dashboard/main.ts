import { AlertSound } from "./alerts.ts";
import { forgetToken, initialToken, TokenForm } from "./auth.ts";
import { VisitorsChart } from "./chart.ts";
import { DashboardConnection } from "./connection.ts";
import { byTestId } from "./elements.ts";
import { FilterForm, filterType } from "./filters.ts";
import { fetchSession } from "./journey.ts";
import { type ClientMessage, type DimensionFilter, isEmptyFilter } from "./protocol.ts";
import { Renderer } from "./render.ts";
import { DashboardState } from "./state.ts";

/** The chart slides with the clock even when no event arrives. */
const CHART_TICK_MS = 5_000;
/** Least time between two catch-up requests after a batch dropped events. */
const RESYNC_MS = 2_000;

const state = new DashboardState();
const sound = new AlertSound();
const dashboard = byTestId("dashboard");
const filters = new FilterForm(byTestId<HTMLFormElement>("filters"), applyFilter);
const renderer = new Renderer(state, new VisitorsChart(byTestId("chart")), filters);
const tokenForm = new TokenForm(connect);

let connection: DashboardConnection | undefined;
let token: string | undefined;
let lastResync = 0;

function connect(newToken: string): void {
  connection?.stop();
  token = newToken;
  tokenForm.hide();
  dashboard.hidden = false;
  connection = new DashboardConnection(newToken, {
    status: (status) => state.setStatus(status),
    open: () => {
      const subscribing = !isEmptyFilter(state.filter);
      state.connectionOpened(subscribing);
      if (subscribing) send({ type: "subscribe", data: { filter: state.filter } });
      send({ type: "request_detailed_stats", data: { filter: state.filter } });
    },
    frame: (frame) => {
      state.receive(frame);
      if (frame.type === "alert") sound.play(frame.data);
      if (frame.type === "visitor_batch" && frame.data.dropped) resync();
    },
    refused: () => {
      forgetToken();
      token = undefined;
      dashboard.hidden = true;
      tokenForm.show("The server refused this token. Enter the API token to connect.");
    },
  });
  connection.start();
}

function send(message: ClientMessage): void {
  connection?.send(message);
}

/** A batch that dropped events leaves the breakdowns short: ask for the full figures. */
function resync(): void {
  const now = Date.now();
  if (now - lastResync < RESYNC_MS) return;
  lastResync = now;
  send({ type: "request_detailed_stats", data: { filter: state.filter } });
}

function applyFilter(filter: DimensionFilter): void {
  state.applyFilter(filter);
  send({ type: "subscribe", data: { filter } });
  send({ type: "request_detailed_stats", data: { filter } });
  send({
    type: "track_dashboard_action",
    data: { action: "filter_applied", details: { filterType: filterType(filter) } },
  });
}

byTestId("clear-view").addEventListener("click", () => {
  state.clearView();
  send({ type: "track_dashboard_action", data: { action: "view_cleared" } });
});

byTestId<HTMLInputElement>("alert-sound").addEventListener("change", (event) => {
  sound.setEnabled((event.currentTarget as HTMLInputElement).checked);
});

byTestId("change-token").addEventListener("click", () => {
  connection?.stop();
  connection = undefined;
  forgetToken();
  token = undefined;
  dashboard.hidden = true;
  tokenForm.show("Enter the API token to connect.");
});

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

setInterval(() => state.tick(), CHART_TICK_MS);

renderer.drawAll();
const startToken = initialToken();
if (startToken) connect(startToken);
else tokenForm.show("This dashboard needs the API token to show live data.");
