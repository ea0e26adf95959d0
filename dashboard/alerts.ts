import { element, renderList } from "./elements.ts";
import { formatClock } from "./format.ts";
import type { Alert } from "./protocol.ts";
import type { ListedAlert } from "./recent-alerts.ts";

const KIND_LABELS: Record<Alert["kind"], string> = {
  spike: "Spike",
  spike_ended: "Spike ended",
  drop: "Traffic drop",
  drop_ended: "Traffic back",
  milestone: "Milestone",
};

/** How a replayed alert (the state sent on connect) is told apart from one that just happened. */
const REPLAYED_LABELS: Partial<Record<Alert["kind"], string>> = {
  spike: "in progress",
  drop: "in progress",
  milestone: "earlier today",
};

export function renderAlerts(list: HTMLElement, alerts: readonly ListedAlert[]): void {
  renderList(list, alerts, "No alerts yet.", (alert) =>
    element(
      "li",
      {
        class: `alert alert-${alert.level}`,
        "data-testid": "alert",
        "data-kind": alert.kind,
        "data-level": alert.level,
        "data-replayed": String(alert.replayed === true),
        "data-earlier": String(alert.earlier === true),
        "data-site": alert.site ?? "",
      },
      element("span", { class: "alert-level" }, alert.level),
      element("span", { class: "alert-kind" }, KIND_LABELS[alert.kind] ?? alert.kind),
      alert.site ? element("span", { class: "alert-site" }, alert.site) : undefined,
      alert.earlier
        ? element("span", { class: "alert-replayed" }, "earlier today")
        : alert.replayed
          ? element("span", { class: "alert-replayed" }, REPLAYED_LABELS[alert.kind] ?? "earlier")
          : undefined,
      element("time", { datetime: alert.timestamp }, formatClock(alert.timestamp)),
      element("p", { class: "alert-message" }, alert.message),
    ),
  );
}

/**
 * A short beep per alert, off until the user turns it on: browsers only let a page play sound
 * after a gesture, so the audio context is created by the checkbox's change.
 */
export class AlertSound {
  private context: AudioContext | undefined;
  enabled = false;

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) return;
    this.context ??= new AudioContext();
    void this.context.resume().catch(() => {});
  }

  play(alert: Alert): void {
    const context = this.context;
    if (!this.enabled || !context) return;
    // A warning beeps twice, higher; information once.
    const beeps = alert.level === "warning" ? [0, 0.22] : [0];
    const frequency = alert.level === "warning" ? 880 : 660;
    for (const offset of beeps) {
      const start = context.currentTime + offset;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.2);
    }
  }
}
