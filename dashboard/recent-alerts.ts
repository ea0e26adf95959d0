import type { Alert } from "./protocol.ts";

export const ALERT_LIMIT = 50;

/** The alerts this view lists, newest first, at most ALERT_LIMIT of them. */
export class RecentAlerts {
  /** Newest first. */
  list: Alert[] = [];

  /**
   * Lists an alert, unless it is a replayed one (the state sent on connect) already listed from
   * before a reconnection; a spike's replay is timestamped when the spike began, as its alert was.
   * Whether it was listed.
   */
  add(alert: Alert): boolean {
    if (
      alert.replayed &&
      this.list.some((known) => known.kind === alert.kind && known.timestamp === alert.timestamp)
    ) {
      return false;
    }
    this.list = [alert, ...this.list].slice(0, ALERT_LIMIT);
    return true;
  }

  clear(): void {
    this.list = [];
  }
}
