import type { AlertRule, Destination } from "../schemas/alerting.ts";
import { apiGetJson } from "./api.ts";
import { byTestId, element } from "./elements.ts";
import { formatClock } from "./format.ts";

/** What a rule watches, in a few words. */
export function ruleCondition(rule: AlertRule): string {
  if (rule.kind === "spike") {
    return `≥ ${rule.threshold} visitors in a minute; cooldown ${rule.cooldown_seconds} s`;
  }
  if (rule.kind === "drop") {
    const hours = rule.active_hours
      ? `, ${rule.active_hours.from}–${rule.active_hours.to} UTC`
      : "";
    return `< ${rule.floor} visitors in ${rule.window_minutes} min${hours}; cooldown ${rule.cooldown_seconds} s`;
  }
  return rule.milestones.length > 0
    ? `pageviews today: ${rule.milestones.join(", ")}`
    : "pageviews today: 100, 1,000, 10,000, …";
}

function lastDelivery(destination: Destination): HTMLElement {
  const delivery = destination.last_delivery;
  if (!delivery) return element("span", { class: "muted" }, "none yet");
  const when = formatClock(delivery.delivered_at ?? delivery.created_at);
  const attempts = `${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`;
  return element(
    "span",
    { class: `delivery-${delivery.status}`, "data-testid": "last-delivery" },
    `${delivery.status} ${when} (${attempts})`,
    delivery.last_error ? ` — ${delivery.last_error}` : undefined,
  );
}

/**
 * The Settings tab: the alert rules and the destinations with their last delivery, read from the
 * API each time it shows (read-only; they are managed through the API).
 */
export class SettingsView {
  private readonly rules: HTMLElement;
  private readonly destinations: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(readonly root: HTMLElement) {
    this.rules = byTestId("settings-rules", root);
    this.destinations = byTestId("settings-destinations", root);
    this.notice = byTestId("settings-notice", root);
  }

  async show(token: string): Promise<void> {
    const [rules, destinations] = await Promise.all([
      apiGetJson<{ rules: AlertRule[] }>(token, "/api/alerts/rules"),
      apiGetJson<{ destinations: Destination[] }>(token, "/api/alerts/destinations"),
    ]);
    this.notice.hidden = rules.ok && destinations.ok;
    this.notice.textContent = "Could not load the alert settings.";
    if (rules.ok) this.renderRules(rules.body.rules);
    if (destinations.ok) this.renderDestinations(destinations.body.destinations);
  }

  private renderRules(rules: readonly AlertRule[]): void {
    if (rules.length === 0) {
      this.rules.replaceChildren(emptyRow(4, "No rules: the server-wide spike alert applies."));
      return;
    }
    this.rules.replaceChildren(
      ...rules.map((rule) =>
        element(
          "tr",
          { "data-testid": "settings-rule", "data-rule-id": String(rule.id) },
          element("td", {}, rule.site),
          element("td", {}, rule.kind),
          element("td", {}, ruleCondition(rule)),
          element("td", {}, rule.enabled ? "on" : "off"),
        ),
      ),
    );
  }

  private renderDestinations(destinations: readonly Destination[]): void {
    if (destinations.length === 0) {
      this.destinations.replaceChildren(
        emptyRow(5, "No destinations: alerts reach the dashboards only."),
      );
      return;
    }
    this.destinations.replaceChildren(
      ...destinations.map((destination) =>
        element(
          "tr",
          { "data-testid": "settings-destination", "data-destination-id": String(destination.id) },
          element("td", {}, destination.name),
          element("td", {}, destination.type),
          element("td", {}, destination.url),
          element("td", {}, destination.site ?? "all"),
          element("td", {}, lastDelivery(destination)),
        ),
      ),
    );
  }
}

function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return element("tr", {}, element("td", { colspan: String(columns), class: "muted" }, text));
}
