import { describe, expect, test } from "bun:test";
import { toVisitorEvent } from "../../services/event-normalizer.ts";

const input = { type: "pageview" as const, page: "/", session_id: "s-1" };

describe("toVisitorEvent", () => {
  test("each event carries its own reception time as ISO text, whatever came before", () => {
    const first = Date.UTC(2026, 11, 1, 6, 0, 0, 1);
    const times = [first, first, first + 1, first, first + 86_400_000];
    expect(times.map((at) => toVisitorEvent(input, at).received_at)).toEqual([
      "2026-12-01T06:00:00.001Z",
      "2026-12-01T06:00:00.001Z",
      "2026-12-01T06:00:00.002Z",
      "2026-12-01T06:00:00.001Z",
      "2026-12-02T06:00:00.001Z",
    ]);
  });
});
