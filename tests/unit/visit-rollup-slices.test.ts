import { describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { AnalyticsStore } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import type { EventStep } from "../../services/pipeline/step.ts";
import type { VisitRecord } from "../../services/storage/session-archive.ts";
import { FLUSH_SLICE, VisitRollup } from "../../services/visit-rollup.ts";

const SESSIONS = 2 * FLUSH_SLICE + 500;

function rollupWithSessions(count: number) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const live = new AnalyticsStore(clock, {
    sessionTimeoutMs: 30 * 60_000,
    maxActiveSessions: 100_000,
    maxTrackedKeys: 100_000,
    statsMaxPages: 100,
    maxTrackedKeyBytes: 1024 * 1024 * 1024,
    maxLiveStateBytes: 1024 * 1024 * 1024,
  });
  const writes: VisitRecord[][] = [];
  const rollup = new VisitRollup(live, (visits) => writes.push([...visits]));
  for (let n = 0; n < count; n++) {
    const event: VisitorEvent = {
      type: "pageview",
      page: "/",
      session_id: `s-${n}`,
      site: "default",
      country: "unknown",
      device: "unknown",
      metadata: {},
      timestamp: null,
      received_at: new Date(clock.now()).toISOString(),
    };
    const step: EventStep = {
      now: clock.now(),
      committed: { position: n + 1, event, receivedAt: clock.now() },
      ended: [],
      alerts: [],
    };
    live.apply(step);
    rollup.apply(step);
  }
  return { rollup, writes };
}

describe("the visits' timer flush", () => {
  test("writes a burst's sessions a slice a turn, every one once", async () => {
    const { rollup, writes } = rollupWithSessions(SESSIONS);
    const flushing = rollup.flushInSlices();
    // The first slice is written at once; the rest wait for later turns of the event loop.
    expect(writes.map((batch) => batch.length)).toEqual([FLUSH_SLICE]);
    await flushing;
    expect(writes.map((batch) => batch.length)).toEqual([FLUSH_SLICE, FLUSH_SLICE, 500]);
    const ids = new Set(writes.flat().map((visit) => visit.session_id));
    expect(ids.size).toBe(SESSIONS);
    expect(rollup.pending).toBe(0);
  });

  test("a read's flush writes everything at once", () => {
    const { rollup, writes } = rollupWithSessions(SESSIONS);
    rollup.flush();
    expect(writes.map((batch) => batch.length)).toEqual([SESSIONS]);
  });

  test("a slice that fails to write is kept for the next attempt", () => {
    const { rollup } = rollupWithSessions(10);
    let failing = true;
    const written: string[] = [];
    (rollup as unknown as { write: (visits: readonly VisitRecord[]) => void }).write = (visits) => {
      if (failing) throw new Error("disk full");
      written.push(...visits.map((visit) => visit.session_id));
    };
    expect(() => rollup.flush(4)).toThrow("disk full");
    expect(rollup.pending).toBe(10);
    failing = false;
    rollup.flush();
    expect(written.sort()).toEqual(Array.from({ length: 10 }, (_, n) => `s-${n}`).sort());
  });
});
