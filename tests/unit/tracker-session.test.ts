import { describe, expect, test } from "bun:test";
import { randomSessionId, resumeSession, SESSION_IDLE_MS } from "../../tracker/session.ts";

const T0 = Date.parse("2025-07-19T10:00:00Z");
const fresh = () => "new-id";

describe("the tracker's session", () => {
  test("a first visit starts a new session and stores its id with the time", () => {
    expect(resumeSession(null, T0, fresh)).toEqual({
      id: "new-id",
      isNew: true,
      stored: `new-id.${T0}`,
    });
  });

  test("activity within 30 minutes keeps the id and refreshes the time", () => {
    const state = resumeSession(`abc.${T0}`, T0 + SESSION_IDLE_MS - 1, fresh);
    expect(state).toEqual({ id: "abc", isNew: false, stored: `abc.${T0 + SESSION_IDLE_MS - 1}` });
  });

  test("30 minutes idle starts a new session", () => {
    expect(resumeSession(`abc.${T0}`, T0 + SESSION_IDLE_MS, fresh)).toMatchObject({
      id: "new-id",
      isNew: true,
    });
  });

  test("a session kept alive by steady activity lasts past 30 minutes", () => {
    let stored = resumeSession(null, T0, fresh).stored;
    for (let minute = 10; minute <= 120; minute += 10) {
      const state = resumeSession(stored, T0 + minute * 60_000, fresh);
      expect(state.id).toBe("new-id");
      expect(state.isNew).toBe(false);
      stored = state.stored;
    }
  });

  test("an unreadable stored value starts a new session", () => {
    for (const stored of ["", "abc", "abc.", "abc.notatime", ".123", "garbage.value.here"]) {
      expect(resumeSession(stored, T0, fresh).isNew).toBe(true);
    }
  });

  test("random ids are 28 base-36 characters and do not repeat", () => {
    const ids = new Set(Array.from({ length: 1000 }, randomSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{28}$/);
  });
});
