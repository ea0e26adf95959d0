import { describe, expect, test } from "bun:test";
import type { DetailedStats, ServerFrame, VisitorEvent } from "../../dashboard/protocol.ts";
import { LEAVE_GRACE_MS, LEFT_SHOWN_MS } from "../../dashboard/session-list.ts";
import { DashboardState } from "../../dashboard/state.ts";
import { ManualClock } from "../../services/clock.ts";
import { RESUME_GRACE_MS } from "../../services/session.ts";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
let position = 0;

function event(sessionId: string, type: VisitorEvent["type"], page: string, at: number) {
  return {
    type,
    page,
    session_id: sessionId,
    site: "example.com",
    country: "ES",
    device: "desktop",
    metadata: {},
    timestamp: new Date(at).toISOString(),
    received_at: new Date(at).toISOString(),
    position: ++position,
    ...(type === "pageview" ? { title: `Title of ${page}` } : {}),
  } as VisitorEvent;
}

const stats = (active: number) => ({
  total_active: active,
  total_today: 1,
  pages_visited: {},
  pages_total: 0,
  visitors_right_now: active,
  visitors_last_minute: active,
});

const update = (e: VisitorEvent, active: number): ServerFrame => ({
  type: "visitor_update",
  data: { event: e, stats: stats(active) },
});

function live() {
  const clock = new ManualClock(T0);
  const wakes: number[] = [];
  const state = new DashboardState({ now: () => clock.now(), wakeIn: (ms) => wakes.push(ms) });
  return { clock, state, wakes };
}

describe("the dashboard's leaving and left", () => {
  test("its grace is the server's resume grace", () => {
    expect(LEAVE_GRACE_MS).toBe(RESUME_GRACE_MS);
  });

  test("a session_end then the next page within the grace is a navigation: no leave, no drop, no session_end in the feed", () => {
    const { state, wakes } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    state.receive(update(event("a", "session_end", "/one", T0 + 100), 0));
    expect(state.sessions.get("a")?.state).toBe("leaving");
    expect(state.activeShown).toBe(1);
    expect(wakes).toEqual([LEAVE_GRACE_MS]);
    state.receive(update(event("a", "pageview", "/two", T0 + 300), 1));
    expect(state.sessions.get("a")).toMatchObject({
      state: "active",
      current_page: "/two",
      title: "Title of /two",
    });
    expect(state.activeShown).toBe(1);
    expect(state.feed.map((shown) => shown.type)).toEqual(["pageview", "pageview"]);
  });

  test("between session_ended and the stats that follow it, the count neither rises nor falls", () => {
    const { state } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    const row = state.sessions.get("a");
    if (!row) throw new Error("no row");
    const endedAt = new Date(T0 + 100).toISOString();
    state.receive({
      type: "session_ended",
      data: { ...row, last_activity: endedAt, reason: "ended" },
    });
    expect(state.activeShown).toBe(1);
    state.receive(update(event("a", "session_end", "/one", T0 + 100), 0));
    expect(state.activeShown).toBe(1);
  });

  test("without a resume the visitor has left after the grace, is shown as left, then leaves the list", () => {
    const { clock, state } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    state.receive(update(event("a", "session_end", "/one", T0 + 100), 0));
    clock.advance(LEAVE_GRACE_MS - 1);
    state.sweep();
    expect(state.sessions.get("a")?.state).toBe("leaving");
    clock.advance(1);
    state.sweep();
    expect(state.sessions.get("a")?.state).toBe("left");
    expect(state.activeShown).toBe(0);
    expect(state.sessionsShownActive).toBe(0);
    clock.advance(LEFT_SHOWN_MS);
    state.sweep();
    expect(state.sessions.has("a")).toBe(false);
  });

  test("a timed-out session leaves the list at once", () => {
    const { state } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    const row = state.sessions.get("a");
    if (!row) throw new Error("no row");
    state.receive({ type: "session_ended", data: { ...row, reason: "timeout" } });
    expect(state.sessions.has("a")).toBe(false);
  });

  test("a detailed answer made before the session_end still counts it, and does not bring it back as active", () => {
    const { state } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    const row = state.sessions.get("a");
    if (!row) throw new Error("no row");
    state.receive(update(event("a", "session_end", "/one", T0 + 1000), 0));
    const older = {
      summary: stats(1),
      active_sessions: [row],
      active_sessions_total: 1,
      sessions: [row],
      country_breakdown: {},
      device_breakdown: {},
      top_pages: [],
      recent_events: [],
      recent_events_truncated: false,
      active_sessions_truncated: false,
      visitors_last_minute: 1,
      generated_at: new Date(T0 + 500).toISOString(),
      filters_applied: {},
    } as DetailedStats;
    state.receive({ type: "detailed_stats_response", data: older });
    expect(state.sessions.get("a")?.state).toBe("leaving");
    expect(state.activeShown).toBe(1);
    const newer = {
      ...older,
      summary: stats(0),
      active_sessions: [],
      sessions: [],
      active_sessions_total: 0,
      generated_at: new Date(T0 + 2000).toISOString(),
    };
    state.receive({ type: "detailed_stats_response", data: newer });
    expect(state.sessions.get("a")?.state).toBe("leaving");
    expect(state.activeShown).toBe(1);
    expect(state.counters?.rightNow).toBe(0);
  });

  test("an ended session's journey from the API shows with its end, without making its row active", () => {
    const { clock, state } = live();
    state.receive(update(event("a", "pageview", "/one", T0), 1));
    state.receive(update(event("a", "session_end", "/one", T0 + 100), 0));
    clock.advance(LEAVE_GRACE_MS);
    state.sweep();
    state.selectSession("a");
    const row = state.sessions.get("a");
    if (!row) throw new Error("no row");
    state.showSession({
      ...row,
      journey: ["/one"],
      ended_at: new Date(T0 + 100).toISOString(),
      end_reason: "ended",
    });
    expect(state.sessions.get("a")?.state).toBe("left");
    expect(state.journeySnapshot?.journey).toEqual(["/one"]);
    expect(state.journeyNote).toContain("the visitor left");
  });
});
