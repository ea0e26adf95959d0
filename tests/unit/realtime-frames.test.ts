import { expect, test } from "bun:test";
import { eventInputSchema } from "../../schemas/event.ts";
import { toVisitorEvent } from "../../services/event-normalizer.ts";
import { toEventView } from "../../services/event-view.ts";
import { eventFrameOf } from "../../services/realtime-frames.ts";

const eventOf = (input: Record<string, unknown>) =>
  toVisitorEvent(eventInputSchema.parse(input), Date.UTC(2026, 0, 5, 9, 30));

test("an event's frame is its view with its log position last, whether or not the client sent a time", () => {
  const events = [
    eventOf({ type: "pageview", page: "/a", session_id: "s1", site: "x" }),
    eventOf({
      type: "custom",
      name: "signup",
      page: "https://shop.example/b?q=1",
      session_id: "s2",
      timestamp: "2026-01-05T09:29:59.000Z",
      user_id: "u1",
      utm_source: "news",
      metadata: { device: "mobile", referrer: "https://t.co/", timestamp: null, position: 3 },
    }),
  ];
  for (const event of events) {
    const frame = JSON.stringify(eventFrameOf(event, 42));
    expect(frame).toBe(JSON.stringify({ ...toEventView(event), position: 42 }));
    expect(JSON.parse(frame).timestamp).toBe(event.timestamp ?? event.received_at);
    expect(JSON.stringify(eventFrameOf(event, undefined))).toBe(JSON.stringify(toEventView(event)));
  }
});
