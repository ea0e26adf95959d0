import { expect, test } from "bun:test";
import { AnalyticsStore } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import type { AnalyticsStoreState } from "../../services/live-state.ts";
import fixture from "../fixtures/live-state-6585702.json";

// The live state as the code before the sessions were their own list nodes wrote it (the
// sessions in entries of a RecencyList, the last minute in a window of its own), with the figures
// that code answered: today's code restores it and answers the same (tests/fixtures/build-live-state.ts).

function restored() {
  const clock = new ManualClock(fixture.now);
  const live = new AnalyticsStore(clock, {
    sessionTimeoutMs: 90_000,
    maxActiveSessions: 12,
    maxTrackedKeys: 1000,
  });
  live.importState(fixture.state as unknown as AnalyticsStoreState);
  return { clock, live };
}

test("a snapshot of the previous shape restores with the same live figures", () => {
  const { live } = restored();
  const { generated_at: _generatedAt, ...detailed } = live.detailed();
  const { today: _today, ...status } = live.status();
  // JSON round trip: the fixture holds what JSON keeps (no undefined, Infinity as null).
  const figures = JSON.parse(
    JSON.stringify({
      visitors_last_minute: live.visitorsLastMinute(),
      status,
      stats: live.currentStats(),
      stats_site_1: live.currentStats({ site: "site-1" }),
      sessions: live.activeSessions({}, 100),
      detailed,
    }),
  );
  expect(figures).toEqual(fixture.figures);
  // Sessions that ended within the minute, kept in the window, among them.
  expect(fixture.state.sessions.recentlyEnded.length).toBeGreaterThan(0);
  expect(live.visitorsLastMinute()).toBeGreaterThan(live.status().active_sessions.count);
});

test("the restored last minute slides as the previous code's did", () => {
  const { clock, live } = restored();
  clock.advance(30_000);
  expect({
    visitors_last_minute: live.visitorsLastMinute(),
    active_sessions: live.status().active_sessions,
  }).toEqual(fixture.after30s);
});

test("the restored state is written back in the same shape", () => {
  const { live } = restored();
  expect(JSON.parse(JSON.stringify(live.exportState()))).toEqual(fixture.state);
});
