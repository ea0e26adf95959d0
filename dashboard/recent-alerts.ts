import type { Alert } from "./protocol.ts";

export const ALERT_LIMIT = 50;

/** An alert as the list shows it: from a frame, or from today's history (`earlier`). */
export type ListedAlert = Alert & { earlier?: true };

/** The same alert told twice: the same id, or (the server-wide ones have none) kind and time. */
function sameAlert(a: Alert, b: Alert): boolean {
  if (a.id !== undefined && b.id !== undefined) return a.id === b.id;
  return a.kind === b.kind && a.timestamp === b.timestamp;
}

/** The alerts this view lists, newest first, at most ALERT_LIMIT of them. */
export class RecentAlerts {
  /** Newest first. */
  list: ListedAlert[] = [];

  /**
   * Lists an alert, unless it is a replayed one (the state sent on connect) already listed from
   * before a reconnection; a spike's replay is timestamped when the spike began, as its alert was.
   * A replay of an alert listed from the history takes its place: it is in progress.
   * Whether it was listed.
   */
  add(alert: Alert): boolean {
    if (alert.replayed) {
      const known = this.list.findIndex((listed) => sameAlert(listed, alert));
      if (known >= 0) {
        if (!this.list[known]?.earlier) return false;
        this.list = this.list.with(known, alert);
        return true;
      }
    }
    this.list = [alert, ...this.list].slice(0, ALERT_LIMIT);
    return true;
  }

  /**
   * Today's alerts from the history (GET /api/alerts), merged by time with those already listed
   * (a replay or a frame that came first stays). Whether any was added.
   */
  addEarlier(alerts: readonly Alert[]): boolean {
    const fresh = alerts.filter((alert) => !this.list.some((listed) => sameAlert(listed, alert)));
    if (fresh.length === 0) return false;
    const merged: ListedAlert[] = [
      ...this.list,
      ...fresh.map((alert) => ({ ...alert, earlier: true as const })),
    ];
    merged.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
    this.list = merged.slice(0, ALERT_LIMIT);
    return true;
  }

  clear(): void {
    this.list = [];
  }
}
