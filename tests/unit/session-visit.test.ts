import { describe, expect, test } from "bun:test";
import type { VisitorEvent } from "../../interfaces/analytics.ts";
import { SessionTracker } from "../../services/session-tracker.ts";

function event(fields: Partial<VisitorEvent>): VisitorEvent {
  return {
    type: "pageview",
    page: "/",
    session_id: "s1",
    site: "example.com",
    country: "unknown",
    device: "unknown",
    metadata: {},
    timestamp: null,
    received_at: "",
    ...fields,
  };
}

const tracker = () =>
  new SessionTracker({ timeoutMs: 30 * 60_000, maxSessions: 100, onEnded: () => {} });

describe("a session keeps what its visit needs for the metrics", () => {
  test("the source of its first event, named from the referrer, and its campaign", () => {
    const sessions = tracker();
    sessions.touch(
      event({ referrer: "https://www.google.com/search?q=x", utm_campaign: "spring" }),
      0,
    );
    const session = sessions.touch(
      event({ page: "/b", referrer: "https://news.ycombinator.com/", utm_campaign: "other" }),
      1000,
    );
    expect(session?.source).toBe("Google");
    expect(session?.referrer).toBe("https://www.google.com/search?q=x");
    expect(session?.utm_campaign).toBe("spring");
  });

  test("a campaign's utm_source names the source over the referrer", () => {
    const session = tracker().touch(
      event({ referrer: "https://t.co/abc", utm_source: "newsletter" }),
      0,
    );
    expect(session?.source).toBe("newsletter");
  });

  test("no referrer, or the site's own, is Direct / None", () => {
    const sessions = tracker();
    expect(sessions.touch(event({}), 0)?.source).toBe("Direct / None");
    expect(
      sessions.touch(event({ session_id: "s2", referrer: "https://example.com/x" }), 0)?.source,
    ).toBe("Direct / None");
  });

  test("counts as the tracker's visitor id, else the user id, else the session", () => {
    const sessions = tracker();
    expect(sessions.touch(event({ visitor_id: "v1", user_id: "u1" }), 0)?.visitor_key).toBe("v1");
    expect(sessions.touch(event({ session_id: "s2", user_id: "u1" }), 0)?.visitor_key).toBe("u1");
    expect(sessions.touch(event({ session_id: "s3" }), 0)?.visitor_key).toBe("s3");
  });

  test("counts every event, takes the title of the latest page, and fills fields left empty", () => {
    const sessions = tracker();
    sessions.touch(event({ title: "Home" }), 0);
    sessions.touch(event({ type: "custom", name: "signup", browser: "Firefox" }), 1000);
    const session = sessions.touch(
      event({ page: "/pricing", title: "Pricing", os: "Linux" }),
      2000,
    );
    expect(session?.events).toBe(3);
    expect(session?.page_views).toBe(2);
    expect(session?.title).toBe("Pricing");
    expect(session?.browser).toBe("Firefox");
    expect(session?.os).toBe("Linux");
  });

  test("its strings go back to the pool when it ends", () => {
    const sessions = tracker();
    const before = sessions.bytes;
    sessions.touch(event({ browser: "Chrome", os: "Windows", title: "Home", utm_term: "t" }), 0);
    expect(sessions.bytes).toBeGreaterThan(before);
    sessions.expire(31 * 60_000);
    expect(sessions.bytes).toBe(before);
  });
});
