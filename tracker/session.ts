/** The localStorage key every tab of a site shares. */
export const SESSION_KEY = "footfall_session";
export const SESSION_IDLE_MS = 30 * 60_000;

export interface SessionState {
  id: string;
  /** True when no live session was stored: the id was just made. */
  isNew: boolean;
  /** What to store after an event at `now`: "<id>.<last activity in ms>". */
  stored: string;
}

/** The stored session if it was active less than 30 minutes ago, otherwise a new one. */
export function resumeSession(
  stored: string | null,
  now: number,
  newId: () => string,
): SessionState {
  const [storedId, lastActivity] = stored?.split(".") ?? [];
  // A missing or unreadable time gives NaN, which compares false: a new session.
  const live =
    storedId !== undefined && storedId !== "" && now - Number(lastActivity) < SESSION_IDLE_MS;
  const id = live ? storedId : newId();
  return { id, isNew: !live, stored: `${id}.${now}` };
}

/** 128 random bits as 28 base-36 characters. getRandomValues, unlike randomUUID, works on plain http. */
export function randomSessionId(): string {
  return Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) =>
    n.toString(36).padStart(7, "0"),
  ).join("");
}
