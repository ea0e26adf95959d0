import type { StoredAlert } from "../../schemas/alerting.ts";

export type DestinationType = "webhook" | "slack" | "discord";

/** What a message says besides the alert: where to look. */
export interface MessageContext {
  /** The dashboard's Live view of the alert's site (or of every site). */
  dashboardUrl: string;
}

/** Footfall's own JSON: the alert whole, its site and the dashboard link. */
export function webhookBody(alert: StoredAlert, context: MessageContext) {
  return {
    type: "footfall.alert" as const,
    alert,
    site: alert.site,
    dashboard_url: context.dashboardUrl,
  };
}

const EMOJI: Record<StoredAlert["kind"], string> = {
  spike: ":chart_with_upwards_trend:",
  spike_ended: ":white_check_mark:",
  drop: ":warning:",
  drop_ended: ":white_check_mark:",
  milestone: ":tada:",
};

/** Slack's incoming-webhook format: `text` (notifications and fallbacks), then blocks. */
export function slackBody(alert: StoredAlert, context: MessageContext) {
  const text = `${EMOJI[alert.kind]} ${alert.message}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: `${alert.site ?? "all sites"} · ${alert.kind} · ${alert.timestamp} · <${context.dashboardUrl}|Open the dashboard>`,
          },
        ],
      },
    ],
  };
}

const DISCORD_COLOURS: Record<StoredAlert["level"], number> = { warning: 0xe8a33d, info: 0x3d8be8 };

/** Discord's webhook format: a short `content` and one embed linking the dashboard. */
export function discordBody(alert: StoredAlert, context: MessageContext) {
  return {
    content: alert.message,
    embeds: [
      {
        title: `Footfall: ${alert.kind.replace("_", " ")}${alert.site ? ` on ${alert.site}` : ""}`,
        description: alert.message,
        url: context.dashboardUrl,
        color: DISCORD_COLOURS[alert.level],
        timestamp: alert.timestamp,
        fields: Object.entries(alert.details).map(([name, value]) => ({
          name,
          value: String(value),
          inline: true,
        })),
      },
    ],
  };
}

/** The body a destination of `type` is sent, as JSON text (signed as is). */
export function messageBody(
  type: DestinationType,
  alert: StoredAlert,
  context: MessageContext,
): string {
  const body =
    type === "slack"
      ? slackBody(alert, context)
      : type === "discord"
        ? discordBody(alert, context)
        : webhookBody(alert, context);
  return JSON.stringify(body);
}

/** The dashboard's Live view of a site (every site when null). */
export function dashboardLink(publicUrl: string, site: string | null): string {
  const base = publicUrl.replace(/\/+$/, "");
  return site === null ? `${base}/` : `${base}/?site=${encodeURIComponent(site)}`;
}
