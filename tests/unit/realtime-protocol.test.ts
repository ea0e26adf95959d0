import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import {
  DASHBOARD_MESSAGE_TYPES,
  SERVER_FRAME_TYPES,
  serverFrameSchema,
} from "../../schemas/websocket-protocol.ts";
import { parseDashboardFrame } from "../../services/realtime-connection.ts";
import { serialize } from "../../services/realtime-frames.ts";
import { type EventLogReader, missedEvents } from "../../services/realtime-resume.ts";

/** The frame types docs/websocket.md's "Server to dashboard" table lists, from its first column. */
function readmeFrameTypes(): string[] {
  const readme = readFileSync(join(import.meta.dir, "../../docs/websocket.md"), "utf8");
  const section = readme.slice(readme.indexOf("Server to dashboard:"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("|")));
  return table
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([a-z_]+)`/g)])
    .map((match) => match[1] as string);
}

describe("the protocol module", () => {
  test("every frame type in the WebSocket docs' table is in the protocol, and every one of the protocol's is in the table", () => {
    expect(readmeFrameTypes().sort()).toEqual([...SERVER_FRAME_TYPES].sort());
  });

  test("frames are built only with a known type and its data's shape", () => {
    const frame = serialize("pong", { timestamp: "2026-01-01T00:00:00.000Z" });
    expect(serverFrameSchema.parse(JSON.parse(frame)).type).toBe("pong");
    // @ts-expect-error a typo in a frame type does not compile
    serialize("visitor_updat", {});
    // @ts-expect-error nor does a wrong data shape
    serialize("user_disconnected", { total: 1 });
  });

  test("a dashboard's message parses the same with its payload in data or at the top level, as the seed's clients send it", () => {
    const framings = [
      [
        '{"type":"request_detailed_stats","filter":{"country":"India"}}',
        '{"type":"request_detailed_stats","data":{"filter":{"country":"India"}}}',
      ],
      [
        '{"type":"track_dashboard_action","action":"x","details":{}}',
        '{"type":"track_dashboard_action","data":{"action":"x","details":{}}}',
      ],
      [
        '{"type":"subscribe","filter":{"site":"shop"},"batch":true}',
        '{"type":"subscribe","data":{"filter":{"site":"shop"},"batch":true}}',
      ],
    ];
    for (const [topLevel, inData] of framings) {
      expect(parseDashboardFrame(topLevel as string)).toEqual(
        parseDashboardFrame(inData as string),
      );
      expect("message" in parseDashboardFrame(topLevel as string)).toBe(true);
    }
    expect(DASHBOARD_MESSAGE_TYPES).toEqual([
      "request_detailed_stats",
      "subscribe",
      "track_dashboard_action",
      "ping",
    ]);
  });
});

/** A log of `count` events at positions 1..count, optionally with some deleted. */
function fakeLog(count: number, deleted: ReadonlySet<number> = new Set()): EventLogReader {
  const event = (id: number): VisitorEvent => ({
    type: "pageview",
    page: "/",
    session_id: `s${id}`,
    site: "shop",
    country: "ES",
    device: "desktop",
    metadata: {},
    timestamp: null,
    received_at: new Date(id * 1000).toISOString(),
  });
  return {
    lastPosition: () => count,
    *readFrom(position) {
      for (let id = position + 1; id <= count; id++)
        if (!deleted.has(id)) yield { position: id, event: event(id) };
    },
  };
}

const eventsOf = (resume: ReturnType<typeof missedEvents>) =>
  "frames" in resume
    ? resume.frames.flatMap((frame) => {
        const parsed = serverFrameSchema.parse(JSON.parse(frame));
        return parsed.type === "missed_events" ? parsed.data.events : [];
      })
    : [];

describe("what a reconnecting dashboard missed", () => {
  test("the events after its position, up to the log's end, each with its position", () => {
    const events = eventsOf(missedEvents(fakeLog(10), 7, undefined));
    expect(events.map((event) => event.position)).toEqual([8, 9, 10]);
    // As frames show events: the receive time when the client sent no timestamp.
    expect(events[0]?.timestamp).toBe(new Date(8000).toISOString());
  });

  test("up to a bound: the events its feed still holds for the next batch are left to that batch", () => {
    expect(eventsOf(missedEvents(fakeLog(10), 2, 5)).map((event) => event.position)).toEqual([
      3, 4, 5,
    ]);
  });

  test("past the bound in events or in bytes, resync with the log's position", () => {
    expect(missedEvents(fakeLog(2000), 999, undefined)).toEqual({
      resync: { reason: "too_far_behind", position: 2000 },
    });
    expect("frames" in missedEvents(fakeLog(2000), 1000, undefined)).toBe(true);
    expect(missedEvents(fakeLog(10), 0, undefined, { events: 100, bytes: 1000 })).toEqual({
      resync: { reason: "too_far_behind", position: 10 },
    });
  });

  test("a position ahead of the log, not a position, or whose events were deleted: resync", () => {
    const unknown = (position: number) => ({
      resync: { reason: "unknown_position" as const, position },
    });
    expect(missedEvents(fakeLog(10), 11, undefined)).toEqual(unknown(10));
    expect(missedEvents(fakeLog(10), null, undefined)).toEqual(unknown(10));
    expect(missedEvents(fakeLog(10, new Set([4])), 2, undefined)).toEqual(unknown(10));
  });

  test("nothing missed, nothing sent; many missed, frames of at most 500 events", () => {
    expect(missedEvents(fakeLog(10), 10, undefined)).toEqual({ frames: [] });
    const resume = missedEvents(fakeLog(1000), 0, undefined);
    expect("frames" in resume && resume.frames.length).toBe(2);
    expect(eventsOf(resume)).toHaveLength(1000);
  });
});
