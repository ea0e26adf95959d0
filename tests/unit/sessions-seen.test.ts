import { describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { AnalyticsStore, VISITOR_WINDOW_MS } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import type { EventStep } from "../../services/pipeline/step.ts";
import { DistinctWindow } from "../../services/sliding-windows.ts";

// The last minute's sessions are kept on the sessions themselves (and a small node for one that
// ended within the minute): every figure must be what a window of its own, keyed by session id
// and touched by every event but `session_end`, would say.

function store(options: { maxSessions: number; timeoutMs: number; maxLiveBytes?: number }) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const live = new AnalyticsStore(clock, {
    sessionTimeoutMs: options.timeoutMs,
    maxActiveSessions: options.maxSessions,
    maxTrackedKeys: 1000,
    maxLiveStateBytes: options.maxLiveBytes,
  });
  let position = 0;
  const apply = (sessionId: string, type: VisitorEvent["type"], page = "/") => {
    const event = toVisitorEvent({ type, page, session_id: sessionId }, clock.now());
    const step: EventStep = {
      now: clock.now(),
      committed: { position: ++position, event, receivedAt: clock.now() },
      ended: [],
      alerts: [],
    };
    live.apply(step);
  };
  const tick = () => live.tick({ now: clock.now(), ended: [], alerts: [] });
  return { clock, live, apply, tick };
}

/** A deterministic sequence of pseudo-random numbers in [0, 1). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("the last minute's sessions", () => {
  test("a session that ends within the minute still counts until its last sighting is a minute old", () => {
    const { clock, live, apply } = store({ maxSessions: 100, timeoutMs: 30 * 60_000 });
    apply("a", "pageview");
    apply("b", "pageview");
    clock.advance(20_000);
    apply("a", "session_end");
    expect(live.visitorsLastMinute()).toBe(2);
    expect(live.status().active_sessions.count).toBe(1);
    clock.advance(40_000);
    // `a` was last seen 60 s ago (its session_end is not a sighting), `b` too.
    expect(live.visitorsLastMinute()).toBe(0);
  });

  test("a session id that comes back within the minute counts once", () => {
    const { clock, live, apply } = store({ maxSessions: 100, timeoutMs: 30 * 60_000 });
    apply("a", "pageview");
    apply("a", "session_end");
    clock.advance(30_000);
    // Past the resume grace: a new session of the same id.
    apply("a", "pageview");
    expect(live.visitorsLastMinute()).toBe(1);
    clock.advance(50_000);
    expect(live.visitorsLastMinute()).toBe(1);
  });

  test("evicted and timed-out sessions count as a window of session ids does, over random traffic", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const next = random(seed);
      const maxSessions = 3 + Math.floor(next() * 6);
      const { clock, live, apply, tick } = store({
        maxSessions,
        // Shorter than the minute, so sessions time out while still in it.
        timeoutMs: 5_000 + Math.floor(next() * 40_000),
        maxLiveBytes: seed % 2 === 0 ? 4_000 : undefined,
      });
      const reference = new DistinctWindow(VISITOR_WINDOW_MS, maxSessions);
      for (let step = 0; step < 600; step++) {
        const roll = next();
        const sessionId = `s${Math.floor(next() * 12)}`;
        if (roll < 0.1) tick();
        else if (roll < 0.35) clock.advance(Math.floor(next() * 15_000));
        else if (roll < 0.45) apply(sessionId, "session_end");
        else {
          reference.touch(sessionId, clock.now());
          apply(sessionId, "pageview", `/p${step % 5}`);
        }
        expect(live.visitorsLastMinute()).toBe(reference.count(clock.now()));
        if (step % 50 === 49) {
          // A restore keeps the window: the snapshot's list is the reference's.
          const state = live.exportState();
          const inWindow = ([, seenAt]: [string, number]) =>
            clock.now() - seenAt < VISITOR_WINDOW_MS;
          expect(state.visitors.filter(inWindow)).toEqual(reference.exportState().filter(inWindow));
          live.importState(JSON.parse(JSON.stringify(state)));
          expect(live.visitorsLastMinute()).toBe(reference.count(clock.now()));
        }
      }
    }
  });
});
