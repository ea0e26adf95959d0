import { describe, expect, test } from "bun:test";
import type { SessionEndReason, VisitorEvent } from "../../interfaces/analytics.ts";
import { RESUME_GRACE_MS } from "../../services/session.ts";
import { SessionTracker } from "../../services/session-tracker.ts";

function event(type: VisitorEvent["type"], page: string, sessionId = "s1"): VisitorEvent {
  return {
    type,
    page,
    session_id: sessionId,
    site: "default",
    country: "ES",
    device: "mobile",
    metadata: {},
    timestamp: null,
    received_at: "",
  };
}

function tracker() {
  const ended: SessionEndReason[] = [];
  const sessions = new SessionTracker({
    timeoutMs: 30 * 60_000,
    maxSessions: 100,
    onEnded: (_session, reason) => ended.push(reason),
  });
  return { sessions, ended };
}

describe("a session ended by session_end", () => {
  test("leaves the active count at once", () => {
    const { sessions, ended } = tracker();
    sessions.touch(event("pageview", "/a"), 0);
    sessions.touch(event("session_end", "/a"), 1000);
    expect(sessions.count({}, 1000)).toBe(0);
    expect(ended).toEqual(["ended"]);
  });

  test("resumes with its journey when its id returns within the grace period (the next page load)", () => {
    const { sessions } = tracker();
    sessions.touch(event("pageview", "/a"), 0);
    sessions.touch(event("session_end", "/a"), 5000);
    const resumed = sessions.touch(event("pageview", "/b"), 5000 + RESUME_GRACE_MS);
    expect(resumed?.journey).toEqual(["/a", "/b"]);
    expect(resumed?.started_at).toBe(0);
    expect(resumed?.page_views).toBe(2);
    expect(sessions.count({ page: "/b" }, 5000 + RESUME_GRACE_MS)).toBe(1);
  });

  test("starts afresh when its id returns after the grace period", () => {
    const { sessions } = tracker();
    sessions.touch(event("pageview", "/a"), 0);
    sessions.touch(event("session_end", "/a"), 5000);
    const fresh = sessions.touch(event("pageview", "/b"), 5001 + RESUME_GRACE_MS);
    expect(fresh?.journey).toEqual(["/b"]);
    expect(fresh?.started_at).toBe(5001 + RESUME_GRACE_MS);
  });

  test("a session that timed out never resumes", () => {
    const { sessions, ended } = tracker();
    sessions.touch(event("pageview", "/a"), 0);
    const later = 30 * 60_000;
    const next = sessions.touch(event("pageview", "/b"), later);
    expect(ended).toEqual(["timeout"]);
    expect(next?.journey).toEqual(["/b"]);
  });

  test("the resumable sessions survive an export and import of the state", () => {
    const { sessions } = tracker();
    sessions.touch(event("pageview", "/a"), 0);
    sessions.touch(event("session_end", "/a"), 1000);
    const copy = tracker().sessions;
    copy.importState(sessions.exportState());
    expect(copy.touch(event("pageview", "/b"), 2000)?.journey).toEqual(["/a", "/b"]);
  });
});
