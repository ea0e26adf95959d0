import { describe, expect, test } from "bun:test";
import { reconnectDelay } from "../../dashboard/connection.ts";
import {
  endsSessions,
  type ServerFrame,
  type SessionEnded,
  type VisitorEvent,
} from "../../dashboard/protocol.ts";
import { DashboardState } from "../../dashboard/state.ts";
import { VisitorsPerMinute } from "../../dashboard/visitors-per-minute.ts";

const MINUTE = 60_000;
const backoff = { baseMs: 500, maxMs: 15_000 };

describe("reconnectDelay", () => {
  test("the delay doubles with each attempt while under the cap", () => {
    const fixed = () => 0.5;
    const delays = [0, 1, 2, 3, 4].map((attempt) => reconnectDelay(attempt, backoff, fixed));
    expect(delays).toEqual([375, 750, 1500, 3000, 6000]);
  });

  test("the delay never exceeds the cap, however many attempts failed", () => {
    for (const attempt of [5, 6, 10, 50, 1000]) {
      expect(reconnectDelay(attempt, backoff, () => 0.999_999)).toBeLessThanOrEqual(15_000);
      expect(reconnectDelay(attempt, backoff, () => 0)).toBe(7_500);
    }
  });

  test("jitter keeps each delay between half and all of its ceiling", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt);
      const seen = new Set<number>();
      for (let draw = 0; draw < 50; draw++) {
        const delay = reconnectDelay(attempt, backoff, random);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        seen.add(delay);
      }
      // Dashboards dropped together do not all come back in the same instant.
      expect(seen.size).toBeGreaterThan(1);
    }
  });
});

describe("VisitorsPerMinute", () => {
  const now = Date.UTC(2026, 0, 1, 12, 30, 20);
  const minuteStart = (ago: number) => Math.floor(now / MINUTE) * MINUTE - ago * MINUTE;

  test("stored minutes fill the chart before any event arrives", () => {
    const visitors = new VisitorsPerMinute();
    visitors.setStored(minuteStart(2), 7);
    visitors.setStored(minuteStart(0), 3);
    expect(visitors.series(now, 5).visitors).toEqual([0, 0, 7, 0, 3]);
  });

  test("a minute shows the larger of its stored count and the sessions seen live", () => {
    const visitors = new VisitorsPerMinute();
    visitors.setStored(minuteStart(1), 2);
    visitors.setStored(minuteStart(0), 1);
    for (const id of ["a", "b", "c"]) visitors.add(id, minuteStart(0) + 1000);
    visitors.add("a", minuteStart(1) + 1000);
    expect(visitors.series(now, 2).visitors).toEqual([2, 3]);
  });

  test("clearing forgets stored minutes too", () => {
    const visitors = new VisitorsPerMinute();
    visitors.setStored(minuteStart(0), 4);
    visitors.clear();
    expect(visitors.series(now, 3).visitors).toEqual([0, 0, 0]);
  });
});

function event(sessionId: string, page = "/"): VisitorEvent {
  return {
    type: "pageview",
    page,
    session_id: sessionId,
    site: "example.com",
    country: "Spain",
    device: "desktop",
    received_at: new Date().toISOString(),
  } as VisitorEvent;
}

function ended(sessionId: string): SessionEnded {
  return {
    session_id: sessionId,
    current_page: "/",
    journey: ["/"],
    duration: 10,
    country: "Spain",
    device: "desktop",
    site: "example.com",
    page_views: 1,
    reason: "timeout",
  } as SessionEnded;
}

const stats = {
  total_active: 1,
  total_today: 2,
  pages_visited: { "/": 2 },
  visitors_last_minute: 2,
};

function batch(events: VisitorEvent[], endedSessions?: SessionEnded[]): ServerFrame {
  const data = {
    events,
    sessions: [],
    stats: stats as never,
    ...(endedSessions ? { ended: endedSessions } : {}),
  };
  return { type: "visitor_batch", data };
}

describe("DashboardState", () => {
  test("sessions a visitor_batch lists as ended leave the sessions list", () => {
    const state = new DashboardState();
    state.receive(batch([event("stays"), event("leaves")]));
    expect([...state.sessions.keys()].sort()).toEqual(["leaves", "stays"]);

    state.receive(batch([], [ended("leaves")]));
    expect([...state.sessions.keys()]).toEqual(["stays"]);
  });

  test("a batch with ended sessions, like session_ended, calls for fresh counters", () => {
    expect(endsSessions(batch([event("x")], [ended("x")]))).toBe(true);
    expect(endsSessions(batch([event("x")]))).toBe(false);
    expect(endsSessions(batch([event("x")], []))).toBe(false);
    expect(endsSessions({ type: "session_ended", data: ended("x") })).toBe(true);
  });

  test("history for the current filter fills the chart; history for an earlier filter is ignored", () => {
    const state = new DashboardState();
    const thisMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
    const points = [{ t: new Date(thisMinute - MINUTE).toISOString(), visitors: 5 }];

    state.applyHistory({ country: "India" }, points);
    expect(state.visitors.series(Date.now(), 2).visitors).toEqual([0, 0]);

    state.applyHistory({}, points);
    expect(state.visitors.series(Date.now(), 2).visitors).toEqual([5, 0]);
  });

  test("history arriving after Clear view does not bring back the cleared minutes", () => {
    const state = new DashboardState();
    const thisMinute = Math.floor(Date.now() / MINUTE) * MINUTE;
    state.clearView();
    state.applyHistory({}, [{ t: new Date(thisMinute - MINUTE).toISOString(), visitors: 5 }]);
    expect(state.visitors.series(Date.now(), 2).visitors).toEqual([0, 0]);
  });
});
