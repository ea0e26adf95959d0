import { describe, expect, test } from "bun:test";
import type { SessionEndReason } from "../../interfaces/analytics.ts";
import { AnalyticsStore } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import { MemoryEventLog } from "../../services/pipeline/memory-event-log.ts";
import { Pipeline } from "../../services/pipeline/pipeline.ts";

const MINUTE = 60_000;
const LONG = 2000;

function live(maxLiveStateBytes: number, maxActiveSessions = 10_000) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const options = {
    sessionTimeoutMs: 30 * MINUTE,
    maxActiveSessions,
    maxTrackedKeys: 100_000,
    statsMaxPages: 100,
    maxTrackedKeyBytes: 1024 * 1024 * 1024,
    maxLiveStateBytes,
  };
  const store = new AnalyticsStore(clock, options);
  const ended: { id: string; reason: SessionEndReason }[] = [];
  const pipeline = new Pipeline([store], (_stage, error) => {
    throw error;
  });
  const log = new MemoryEventLog();
  pipeline.follow(log);
  pipeline.react({
    name: "test",
    react: (step) => {
      for (const { session, reason } of step.ended) ended.push({ id: session.session_id, reason });
    },
  });
  const send = (sessionId: string, page: string, type: "pageview" | "session_end" = "pageview") => {
    const event = toVisitorEvent({ type, page, session_id: sessionId }, clock.now());
    void log.append([event], clock.now());
  };
  const restart = () => {
    const next = new AnalyticsStore(clock, options);
    next.importState(store.exportState());
    return next;
  };
  return { clock, store, ended, send, restart, tick: () => pipeline.tick(clock.now()) };
}

/** A distinct page of about 2,000 characters. */
const longPage = (session: number, view: number) =>
  `/${String(session).padStart(6, "0")}-${String(view).padStart(3, "0")}-${"x".repeat(LONG)}`;

describe("live state byte budget", () => {
  test("past the budget the least recently active sessions end as evicted, and the estimate stays under it", () => {
    const budget = 2 * 1024 * 1024;
    const { clock, store, ended, send } = live(budget);
    for (let session = 0; session < 60; session++) {
      for (let view = 0; view < 50; view++) send(`s${session}`, longPage(session, view));
      clock.advance(1000);
      const { live_state } = store.status();
      expect(live_state.max_bytes).toBe(budget);
      expect(live_state.bytes).toBeLessThanOrEqual(budget);
    }
    // 60 sessions of 50 distinct 2,000-character pages are ~12 MB of strings alone.
    const evicted = ended.filter((end) => end.reason === "evicted").map((end) => end.id);
    expect(evicted.length).toBeGreaterThan(30);
    // The oldest go first, and the newest are still there.
    expect(evicted.slice(0, 3)).toEqual(["s0", "s1", "s2"]);
    expect(store.session("s59")?.journey).toHaveLength(50);
    expect(store.status().active_sessions.count).toBe(60 - evicted.length);
  });

  test("the estimate counts a page shared by many journeys once", () => {
    const { store, send } = live(64 * 1024 * 1024);
    const pages = Array.from({ length: 10 }, (_, index) => longPage(0, index));
    for (let session = 0; session < 200; session++)
      for (let view = 0; view < 50; view++) send(`s${session}`, pages[view % 10] as string);
    // 10,000 journey entries of 2,000 characters: 40 MB if each were its own copy.
    const { bytes } = store.status().live_state;
    expect(bytes).toBeGreaterThan(10 * LONG * 2);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
    expect(store.session("s199")?.journey).toEqual([
      ...pages,
      ...pages,
      ...pages,
      ...pages,
      ...pages,
    ]);
  });

  test("the estimate returns to nothing once every session has ended, whatever the path", () => {
    const { clock, store, send, tick } = live(64 * 1024 * 1024);
    send("a", "/a");
    send("a", "/b");
    send("b", "/a");
    send("b", "/b", "session_end");
    send("c", longPage(1, 1));
    for (let view = 0; view < 60; view++) send("d", longPage(2, view));
    expect(store.status().live_state.bytes).toBeGreaterThan(50 * LONG);
    clock.advance(31 * MINUTE);
    tick();
    // Sessions ended by session_end are kept a few seconds in case they resume: gone by now.
    send("e", "/e");
    send("e", "/e", "session_end");
    clock.advance(11_000);
    send("f", "/f");
    send("f", "/f", "session_end");
    clock.advance(11_000);
    send("g", "/g", "session_end");
    expect(store.status().active_sessions.count).toBe(0);
    const { bytes } = store.status().live_state;
    // Only the one recently ended session (f) is left.
    expect(bytes).toBeLessThan(1024);
  });

  test("a restart from a snapshot restores the same estimate", () => {
    const { store, send, restart } = live(64 * 1024 * 1024);
    for (let session = 0; session < 5; session++)
      for (let view = 0; view < 20; view++) send(`s${session}`, longPage(session % 2, view));
    send("s0", "/gone", "session_end");
    const restored = restart();
    expect(restored.status().live_state).toEqual(store.status().live_state);
    expect(restored.session("s4")).toEqual(store.session("s4"));
  });

  test("a snapshot holding more than the budget is trimmed to it on restore", () => {
    const { store, send, clock } = live(64 * 1024 * 1024);
    for (let session = 0; session < 40; session++)
      for (let view = 0; view < 50; view++) send(`s${session}`, longPage(session, view));
    const small = new AnalyticsStore(clock, {
      sessionTimeoutMs: 30 * MINUTE,
      maxActiveSessions: 10_000,
      maxTrackedKeys: 100_000,
      statsMaxPages: 100,
      maxTrackedKeyBytes: 1024 * 1024 * 1024,
      maxLiveStateBytes: 2 * 1024 * 1024,
    });
    small.importState(store.exportState());
    expect(small.status().live_state.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(small.session("s39")).toBeDefined();
    expect(small.session("s0")).toBeUndefined();
  });
});
