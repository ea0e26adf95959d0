import { apiGetJson } from "./api.ts";
import type { Alert } from "./protocol.ts";

const DAY_MS = 86_400_000;

/** Today's alerts (UTC), newest first, as GET /api/alerts keeps them; none when it fails. */
export async function fetchTodaysAlerts(token: string, now = Date.now()): Promise<Alert[]> {
  const midnight = new Date(now - (now % DAY_MS)).toISOString();
  const answer = await apiGetJson<{ alerts: Alert[] }>(
    token,
    `/api/alerts?from=${encodeURIComponent(midnight)}&limit=50`,
  );
  return answer.ok ? answer.body.alerts : [];
}
