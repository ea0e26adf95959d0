import type { SessionRow } from "./session-row.ts";

const REASONS: Record<string, string> = {
  ended: "the visitor left",
  timeout: "no activity for the session timeout",
  evicted: "dropped to make room",
};

/** What the journey says of a session the list shows as left; nothing while it is not. */
export function leftNote(row: SessionRow): string | undefined {
  if (row.state !== "left") return undefined;
  const why = REASONS[row.endReason ?? ""] ?? row.endReason ?? "ended";
  return `This session has ended (${why}); this is its journey as last seen.`;
}

/** What the journey says of a session the server reports ended. */
export function endedNote(reason: string | undefined, endedAt: string): string {
  const why = REASONS[reason ?? ""] ?? reason ?? "ended";
  const time = new Date(endedAt).toLocaleTimeString();
  return `This session ended at ${time} (${why}); this is its whole journey.`;
}
