import { z } from "zod";
import { label } from "./common.ts";

/**
 * Alerting's API: rules per site, destinations, the alert history and the delivery log
 * (docs/alerts.md). Rules and destinations are kept in SQLite; these are their shapes in and out.
 */

const site = label(253).meta({ example: "example.com" });
const cooldown = z
  .number()
  .int()
  .min(0)
  .max(7 * 86_400);
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "a UTC time as HH:MM" })
  .meta({ example: "08:00" });

export const activeHoursSchema = z
  .object({ from: clockTime, to: clockTime })
  .refine((hours) => hours.from !== hours.to, { message: "from and to must differ" })
  .meta({
    description:
      "UTC hours the rule is checked in (`to` before `from` spans midnight); a drop is raised only once the whole window lies inside them",
    example: { from: "08:00", to: "22:00" },
  });

const spikeFields = {
  threshold: z.number().int().min(1).max(10_000_000).meta({
    description: "visitors in the last minute that raise it (default ALERT_THRESHOLD)",
    example: 50,
  }),
  cooldown_seconds: cooldown.meta({
    description: "least time between two raises (default ALERT_COOLDOWN_SECONDS)",
  }),
};
const dropFields = {
  floor: z.number().int().min(1).max(10_000_000).meta({
    description: "raised when fewer visitors than this came within the window",
    example: 5,
  }),
  window_minutes: z.number().int().min(1).max(1440).meta({ example: 30 }),
  active_hours: activeHoursSchema.nullable(),
  cooldown_seconds: cooldown,
};
const milestoneFields = {
  milestones: z
    .array(z.number().int().min(1))
    .max(50)
    .meta({
      description: "today's pageview counts announced (default 100, 1,000, 10,000, ...)",
      example: [500, 1000, 5000],
    }),
};

export const ruleInputSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("spike"),
      site,
      enabled: z.boolean().optional(),
      threshold: spikeFields.threshold.optional(),
      cooldown_seconds: spikeFields.cooldown_seconds.optional(),
    }),
    z.strictObject({
      kind: z.literal("drop"),
      site,
      enabled: z.boolean().optional(),
      floor: dropFields.floor,
      window_minutes: dropFields.window_minutes.optional(),
      active_hours: dropFields.active_hours.optional(),
      cooldown_seconds: dropFields.cooldown_seconds.optional(),
    }),
    z.strictObject({
      kind: z.literal("milestone"),
      site,
      enabled: z.boolean().optional(),
      milestones: milestoneFields.milestones.optional(),
    }),
  ])
  .meta({
    id: "AlertRuleInput",
    example: {
      kind: "drop",
      site: "example.com",
      floor: 5,
      window_minutes: 30,
      active_hours: { from: "08:00", to: "22:00" },
    },
  });
export type RuleInput = z.output<typeof ruleInputSchema>;

/** A change to a rule: any of its kind's settings (the kind and site stay). */
export const rulePatchSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    threshold: spikeFields.threshold.optional(),
    cooldown_seconds: cooldown.optional(),
    floor: dropFields.floor.optional(),
    window_minutes: dropFields.window_minutes.optional(),
    active_hours: dropFields.active_hours.optional(),
    milestones: milestoneFields.milestones.optional(),
  })
  .meta({ id: "AlertRulePatch", example: { floor: 3, enabled: true } });
export type RulePatch = z.output<typeof rulePatchSchema>;

const ruleCommon = {
  id: z.number().int(),
  site: z.string(),
  enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
};
export const ruleSchema = z
  .discriminatedUnion("kind", [
    z.object({ ...ruleCommon, kind: z.literal("spike"), ...spikeFields }),
    z.object({ ...ruleCommon, kind: z.literal("drop"), ...dropFields }),
    z.object({ ...ruleCommon, kind: z.literal("milestone"), ...milestoneFields }),
  ])
  .meta({
    id: "AlertRule",
    example: {
      id: 1,
      site: "example.com",
      kind: "drop",
      enabled: true,
      floor: 5,
      window_minutes: 30,
      active_hours: { from: "08:00", to: "22:00" },
      cooldown_seconds: 60,
      created_at: "2026-06-01T09:00:00.000Z",
      updated_at: "2026-06-01T09:00:00.000Z",
    },
  });
export type AlertRule = z.output<typeof ruleSchema>;
export type RuleKind = AlertRule["kind"];

export const DESTINATION_TYPES = ["webhook", "slack", "discord"] as const;
export const destinationInputSchema = z
  .strictObject({
    name: label(100).meta({ example: "Ops channel" }),
    type: z.enum(DESTINATION_TYPES).meta({
      description:
        "`webhook`: Footfall's JSON; `slack` and `discord`: their incoming-webhook formats. All are signed",
    }),
    url: z.string().max(2048).meta({ example: "https://hooks.slack.com/services/T000/B000/XXXX" }),
    site: site.optional().meta({ description: "only this site's alerts (absent: every site's)" }),
  })
  .meta({ id: "AlertDestinationInput" });
export type DestinationInput = z.output<typeof destinationInputSchema>;

export const deliveryStatusSchema = z.enum(["pending", "delivered", "failed"]);
export const deliverySchema = z
  .object({
    id: z.number().int(),
    alert_id: z.string(),
    destination_id: z.number().int(),
    status: deliveryStatusSchema,
    attempts: z.number().int(),
    last_status: z
      .number()
      .int()
      .nullable()
      .meta({ description: "the receiver's last HTTP status" }),
    last_error: z.string().nullable(),
    created_at: z.string(),
    next_attempt_at: z.string().nullable().meta({ description: "while pending" }),
    delivered_at: z.string().nullable(),
  })
  .meta({
    id: "AlertDelivery",
    example: {
      id: 12,
      alert_id: "rule-1:drop:4711",
      destination_id: 2,
      status: "delivered",
      attempts: 2,
      last_status: 200,
      last_error: null,
      created_at: "2026-06-01T10:30:00.000Z",
      next_attempt_at: null,
      delivered_at: "2026-06-01T10:30:02.051Z",
    },
  });
export type Delivery = z.output<typeof deliverySchema>;

export const destinationSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    type: z.enum(DESTINATION_TYPES),
    url: z.string().meta({ description: "the path and query are hidden after creation" }),
    site: z.string().nullable(),
    secret_prefix: z.string().meta({ description: "the secret's start, to tell it apart" }),
    created_at: z.string(),
    last_delivery: deliverySchema.nullable(),
  })
  .meta({ id: "AlertDestination" });
export type Destination = z.output<typeof destinationSchema>;

export const ALERT_KINDS = ["spike", "spike_ended", "drop", "drop_ended", "milestone"] as const;
export const storedAlertSchema = z
  .object({
    id: z.string().meta({ description: "the same on every instance of a cluster" }),
    rule_id: z.number().int().nullable().meta({ description: "null: the server-wide detector" }),
    site: z.string().nullable(),
    kind: z.enum(ALERT_KINDS),
    level: z.enum(["info", "warning"]),
    message: z.string(),
    details: z.record(z.string(), z.union([z.number(), z.string()])),
    timestamp: z.string(),
  })
  .meta({
    id: "StoredAlert",
    example: {
      id: "rule-1:drop:4711",
      rule_id: 1,
      site: "example.com",
      kind: "drop",
      level: "warning",
      message: "Traffic drop on example.com: 2 visitors in the last 30 minutes (floor 5).",
      details: { visitors: 2, floor: 5, window_minutes: 30 },
      timestamp: "2026-06-01T10:30:00.000Z",
    },
  });
export type StoredAlert = z.output<typeof storedAlertSchema>;

const timeParam = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), { message: "an ISO date or time" })
  .meta({ example: "2026-06-01T00:00:00Z" });
export const alertsQuerySchema = z.object({
  site: label(253).optional(),
  rule: z.coerce.number().int().min(1).optional().meta({ description: "a rule's id" }),
  kind: z.enum(ALERT_KINDS).optional(),
  from: timeParam.optional().meta({ description: "from this time, included" }),
  to: timeParam.optional().meta({ description: "before this time" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type AlertsQuery = z.output<typeof alertsQuerySchema>;

export const alertsPageSchema = z.object({
  success: z.literal(true),
  alerts: z.array(storedAlertSchema).meta({ description: "newest first" }),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const idParamSchema = z.object({
  id: z.coerce.number().int().min(1).meta({ example: 1 }),
});
export const deliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
