import { describe, expect, test } from "bun:test";
import type { SessionEnded } from "../../schemas/websocket-protocol.ts";
import {
  BATCH_MAX_BYTES,
  Feed,
  MAX_BATCH_ENDED,
  MAX_EVENTS_PER_BATCH_FRAME,
  type PendingEvent,
} from "../../services/realtime-feed.ts";

// The coalescing policy alone: no sockets, no store, the clock a number handed in.

const RATE = 20;

function pending(position: number, bytes = 100): PendingEvent {
  return { json: `{"position":${position}}`, bytes, position };
}

function ended(sessionId: string): SessionEnded {
  return {
    session_id: sessionId,
    site: "s",
    current_page: "/",
    journey: ["/"],
    journey_truncated: false,
    duration: 0,
    country: "ES",
    device: "desktop",
    started_at: "2026-01-01T00:00:00.000Z",
    last_activity: "2026-01-01T00:00:00.000Z",
    page_views: 1,
    entry_page: "/",
    reason: "timeout",
  };
}

describe("a batching feed's frame budget", () => {
  test("frames go at once while the bucket holds tokens, then wait for the tick", () => {
    let now = 0;
    const feed = new Feed("t", {}, true, RATE, now);
    for (let i = 0; i < RATE; i++) expect(feed.canSendNow(1, now)).toBe(true);
    expect(feed.canSendNow(1, now)).toBe(false);
    now += 1000 / RATE;
    expect(feed.canSendNow(1, now)).toBe(true);
    expect(feed.canSendNow(1, now)).toBe(false);
  });

  test("the bucket refills at the rate and never holds more than a second's worth", () => {
    let now = 0;
    const feed = new Feed("t", {}, true, RATE, now);
    now += 60_000;
    let sent = 0;
    while (feed.canSendNow(1, now)) sent++;
    expect(sent).toBe(RATE);
  });

  test("once something waits, nothing overtakes it, even with tokens to spare", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    feed.queueEvent(pending(1), "a");
    expect(feed.hasPending).toBe(true);
    expect(feed.canSendNow(1, 10_000)).toBe(false);
  });

  test("a per-event feed always sends at once", () => {
    const feed = new Feed("t", {}, false, RATE, 0);
    for (let i = 0; i < 1000; i++) expect(feed.canSendNow(2, 0)).toBe(true);
  });
});

describe("a batching feed's batches", () => {
  test("a tick sends what waited as one batch, in arrival order, with each session once", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    feed.queueEvent(pending(1), "a");
    feed.queueEvent(pending(2), "b");
    feed.queueEvent(pending(3), "a");
    feed.queueEvent(pending(4), undefined);
    expect(feed.firstPendingPosition).toBe(1);
    const batch = feed.takeBatch(50);
    expect(batch?.events).toEqual([
      '{"position":1}',
      '{"position":2}',
      '{"position":3}',
      '{"position":4}',
    ]);
    expect(batch?.sessionIds).toEqual(["a", "b"]);
    expect(batch?.dropped).toBe(0);
    expect(feed.hasPending).toBe(false);
    expect(feed.takeBatch(100)).toBeUndefined();
  });

  test("a tick always sends, and each batch costs a token, so a sustained burst gets one frame a tick", () => {
    let now = 0;
    const feed = new Feed("t", {}, true, RATE, now);
    while (feed.canSendNow(1, now)) {}
    let immediate = 0;
    let batches = 0;
    // Ten seconds of an event every millisecond, ticks every 50 ms.
    for (let ms = 1; ms <= 10_000; ms++) {
      now = ms;
      if (feed.canSendNow(2, now)) immediate++;
      else feed.queueEvent(pending(ms), `s${ms}`);
      if (ms % 50 === 0 && feed.takeBatch(now)) batches++;
    }
    expect(batches).toBe(200);
    // The budget is spent on ticks: at most a few frames get through at once.
    expect(immediate + batches).toBeLessThanOrEqual(200 + RATE);
  });

  test("past MAX_EVENTS_PER_BATCH_FRAME the oldest events are dropped and counted", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    for (let i = 1; i <= MAX_EVENTS_PER_BATCH_FRAME + 7; i++) feed.queueEvent(pending(i), "a");
    const batch = feed.takeBatch(50);
    expect(batch?.events).toHaveLength(MAX_EVENTS_PER_BATCH_FRAME);
    expect(batch?.events[0]).toBe('{"position":8}');
    expect(batch?.dropped).toBe(7);
    feed.queueEvent(pending(9999), "a");
    expect(feed.takeBatch(100)?.dropped).toBe(0);
  });

  test("past BATCH_MAX_BYTES the oldest events are dropped, but the newest always stays", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    const third = Math.floor(BATCH_MAX_BYTES / 3);
    for (let i = 1; i <= 4; i++) feed.queueEvent(pending(i, third), "a");
    feed.queueEvent(pending(5, BATCH_MAX_BYTES * 2), "a");
    const batch = feed.takeBatch(50);
    expect(batch?.events).toEqual(['{"position":5}']);
    expect(batch?.dropped).toBe(4);
  });

  test("ended sessions wait in order, leave the batch's sessions, and go at most MAX_BATCH_ENDED a tick", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    feed.queueEvent(pending(1), "gone");
    for (let i = 0; i < MAX_BATCH_ENDED + 3; i++) feed.queueEnded(ended(`s${i}`));
    feed.queueEnded(ended("gone"));
    const first = feed.takeBatch(50);
    expect(first?.sessionIds).toEqual([]);
    expect(first?.ended.map((session) => session.session_id).slice(0, 2)).toEqual(["s0", "s1"]);
    expect(first?.ended).toHaveLength(MAX_BATCH_ENDED);
    const second = feed.takeBatch(100);
    expect(second?.ended.map((session) => session.session_id)).toEqual([
      "s500",
      "s501",
      "s502",
      "gone",
    ]);
  });

  test("a session back before its queued end went out is not in the batch's ended", () => {
    const feed = new Feed("t", {}, true, RATE, 0);
    feed.queueEnded(ended("back"));
    feed.queueEnded(ended("left"));
    feed.sessionActive("back");
    expect(feed.takeBatch(50)?.ended.map((session) => session.session_id)).toEqual(["left"]);
  });
});
