import { describe, expect, test } from "bun:test";
import type { SessionEndReason } from "../../interfaces/analytics.ts";
import { AnalyticsStore } from "../../services/analytics-store.ts";
import { ManualClock } from "../../services/clock.ts";
import { CompatCounters } from "../../services/compat-counters.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import { MemoryEventLog } from "../../services/pipeline/memory-event-log.ts";
import { Pipeline, type Projection, type Step } from "../../services/pipeline/pipeline.ts";

const MINUTE = 60_000;

function pipelineOf(clock: ManualClock) {
  const live = new AnalyticsStore(clock, {
    sessionTimeoutMs: 30 * MINUTE,
    maxActiveSessions: 100,
    maxTrackedKeys: 100,
  });
  const compat = new CompatCounters(100);
  const errors: string[] = [];
  const pipeline = new Pipeline([live, compat], (stage) => errors.push(stage));
  const log = new MemoryEventLog();
  pipeline.follow(log);
  const ended: { id: string; reason: SessionEndReason }[] = [];
  pipeline.react({
    name: "ended",
    react: (step) => {
      for (const { session, reason } of step.ended) ended.push({ id: session.session_id, reason });
    },
  });
  const send = (sessionId: string) =>
    log.append(
      [toVisitorEvent({ type: "pageview", page: "/", session_id: sessionId }, clock.now())],
      clock.now(),
    );
  return { live, compat, pipeline, log, ended, errors, send };
}

describe("reads never end sessions", () => {
  test("a session past its timeout is left out of every read, and ends only on the next tick", async () => {
    const clock = new ManualClock();
    const { live, pipeline, ended, send } = pipelineOf(clock);
    await send("a");
    await send("b");
    clock.advance(30 * MINUTE);
    for (let read = 0; read < 3; read++) {
      expect(live.currentStats().total_active).toBe(0);
      expect(live.currentStatsJson({ site: "default" })).toContain('"total_active":0');
      expect(live.activeSessions({}, 10).sessions).toEqual([]);
      expect(live.session("a")).toBeUndefined();
      expect(live.detailed().active_sessions_total).toBe(0);
      expect(live.status().active_sessions.count).toBe(0);
    }
    expect(ended).toEqual([]);
    expect(live.sessions.size).toBe(2);
    pipeline.tick(clock.now());
    expect(ended).toEqual([
      { id: "a", reason: "timeout" },
      { id: "b", reason: "timeout" },
    ]);
    expect(live.sessions.size).toBe(0);
  });

  test("a stats answer read before a timeout is not kept past it", async () => {
    const clock = new ManualClock();
    const { live, send } = pipelineOf(clock);
    await send("a");
    expect(live.currentStats().total_active).toBe(1);
    clock.advance(30 * MINUTE - 1);
    expect(live.currentStats().total_active).toBe(1);
    clock.advance(1);
    expect(live.currentStats().total_active).toBe(0);
  });
});

describe("reads never move time on", () => {
  test("past midnight reads answer an empty day without rolling it over, and the tick rolls it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 23, 59, 30));
    const { live, pipeline, send } = pipelineOf(clock);
    await send("a");
    expect(live.totalToday()).toBe(1);
    clock.advance(60_000);
    const exported = JSON.stringify(live.exportState());
    expect(live.totalToday()).toBe(0);
    expect(live.currentStats()).toMatchObject({ total_today: 0, pages_visited: {} });
    expect(live.detailed()).toMatchObject({ country_breakdown: {}, top_pages: [] });
    expect(JSON.stringify(live.exportState())).toBe(exported);
    pipeline.tick(clock.now());
    expect(live.exportState().today.day).toBe("2026-01-02");
  });

  test("the last minute's visitors fall as time passes, but reads forget none; the tick does", async () => {
    const clock = new ManualClock();
    const { live, pipeline, send } = pipelineOf(clock);
    await send("a");
    clock.advance(30_000);
    await send("b");
    clock.advance(31_000);
    const exported = JSON.stringify(live.exportState().visitors);
    expect(live.visitorsLastMinute()).toBe(1);
    expect(live.visitorsLastMinute()).toBe(1);
    expect(JSON.stringify(live.exportState().visitors)).toBe(exported);
    pipeline.tick(clock.now());
    expect(live.exportState().visitors).toHaveLength(1);
    expect(live.visitorsLastMinute()).toBe(1);
  });
});

describe("the pipeline", () => {
  test("replay applies the log through the same projections, and ends in the same state", async () => {
    const clock = new ManualClock();
    const first = pipelineOf(clock);
    for (const id of ["a", "b", "a", "c"]) await first.send(id);
    const second = pipelineOf(clock);
    expect(second.pipeline.replay(first.log, 0)).toBe(4);
    expect(second.pipeline.position).toBe(4);
    expect(second.pipeline.exportState()).toEqual(first.pipeline.exportState());
  });

  test("a projection added to the list is applied live, on replay and on ticks, and snapshotted", async () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const counter: Projection = {
      name: "counter",
      apply: (step) => {
        seen.push(`event ${step.committed.position}`);
      },
      tick: (step) => {
        seen.push(`tick ${step.now}`);
      },
      exportState: () => seen.length,
    };
    const pipeline = new Pipeline([counter], () => {});
    const log = new MemoryEventLog();
    pipeline.follow(log);
    const event = toVisitorEvent({ type: "pageview", page: "/", session_id: "a" }, clock.now());
    await log.append([event, event], clock.now());
    pipeline.tick(5);
    new Pipeline([counter], () => {}).replay(log, 1);
    expect(seen).toEqual(["event 1", "event 2", "tick 5", "event 2"]);
    expect(pipeline.exportState()).toEqual({ counter: 4 });
  });

  test("a throwing reaction is logged; the reactions after it and the projections still run", async () => {
    const clock = new ManualClock();
    const { pipeline, errors, compat, send } = pipelineOf(clock);
    const later: Step[] = [];
    pipeline.react({
      name: "broken",
      react: () => {
        throw new Error("the outside is down");
      },
    });
    pipeline.react({ name: "later", react: (step) => later.push(step) });
    await send("a");
    await send("b");
    expect(errors).toEqual(["broken", "broken"]);
    expect(later.map((step) => step.committed?.position)).toEqual([1, 2]);
    expect(compat.countryVisits()).toEqual({});
  });

  test("while held, commits wait and are applied in order on release", async () => {
    const clock = new ManualClock();
    const { live, pipeline, send } = pipelineOf(clock);
    await send("a");
    const release = pipeline.hold();
    await send("b");
    await send("c");
    expect(live.currentStats().total_active).toBe(1);
    expect(pipeline.position).toBe(1);
    release();
    expect(live.currentStats().total_active).toBe(3);
    expect(pipeline.position).toBe(3);
  });

  test("whenApplied resolves at once when not held, and while held only once the held commits are applied", async () => {
    const clock = new ManualClock();
    const { live, pipeline, send } = pipelineOf(clock);
    await pipeline.whenApplied();
    const release = pipeline.hold();
    await send("a");
    let applied: number | undefined;
    const waiting = pipeline.whenApplied().then(() => {
      applied = live.currentStats().total_active;
    });
    await Bun.sleep(5);
    expect(applied).toBeUndefined();
    release();
    await waiting;
    expect(applied).toBe(1);
  });

  test("a tick while held ends no session until the release, and runs after the held events", async () => {
    const clock = new ManualClock();
    const { live, pipeline, ended, send } = pipelineOf(clock);
    await send("a");
    await send("b");
    clock.advance(20 * MINUTE);
    const release = pipeline.hold();
    await send("b");
    clock.advance(10 * MINUTE);
    pipeline.tick(clock.now());
    expect(ended).toEqual([]);
    expect(live.sessions.size).toBe(2);
    release();
    // "b" came back before the tick, so only "a" timed out.
    expect(ended).toEqual([{ id: "a", reason: "timeout" }]);
    expect(live.sessions.size).toBe(1);
    release();
    expect(ended).toHaveLength(1);
  });
});
