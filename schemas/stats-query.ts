import { z } from "zod";
import { label } from "./common.ts";

// The query endpoint's contract (docs/analytics-query.md): names, request and answer.

import {
  DATE_RANGES,
  EVENT_DIMENSIONS,
  FILTER_OPERATORS,
  METRICS,
  TIME_DIMENSIONS,
  VISIT_DIMENSIONS,
} from "./stats-names.ts";

export {
  DATE_RANGES,
  EVENT_DIMENSIONS,
  FILTER_OPERATORS,
  METRICS,
  type Metric,
  TIME_DIMENSIONS,
  VISIT_DIMENSIONS,
} from "./stats-names.ts";

export const PROP_PREFIX = "prop:";
export const MAX_DIMENSIONS = 3;
export const MAX_LIMIT = 10_000;

export type VisitDimension = (typeof VISIT_DIMENSIONS)[number];
export type EventDimension = (typeof EVENT_DIMENSIONS)[number];
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];
/** A known dimension, or `prop:<name>`. */
export type Dimension = VisitDimension | EventDimension | TimeDimension | `prop:${string}`;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

const KNOWN = new Set<string>([...VISIT_DIMENSIONS, ...EVENT_DIMENSIONS, ...TIME_DIMENSIONS]);

/** Plausible's spellings (`visit:source`, `event:page`, `event:props:plan`, ...) as ours. */
export function canonicalDimension(name: string): string {
  if (name.startsWith("event:props:")) return PROP_PREFIX + name.slice("event:props:".length);
  if (name === "event:name") return "event_name";
  if (name === "event:goal") return "goal";
  if (name === "event:page") return "page";
  if (name.startsWith("visit:")) return name.slice("visit:".length);
  return name;
}

export function isDimension(name: string): name is Dimension {
  return KNOWN.has(name) || (name.startsWith(PROP_PREFIX) && name.length > PROP_PREFIX.length);
}

const utcDay = z.iso.date().describe("a UTC day, YYYY-MM-DD");
const filterValue = z.union([z.string().max(2048), z.number(), z.boolean()]).transform(String);

/** The issue's and other tools' spellings of the negated operators. */
const OPERATOR_ALIASES: Record<string, FilterOperator> = {
  "is not": "is_not",
  "contains not": "contains_not",
  "does not contain": "contains_not",
};
const filterOperator = z.preprocess(
  (value) => (typeof value === "string" ? (OPERATOR_ALIASES[value] ?? value) : value),
  z.enum(FILTER_OPERATORS),
);

const filterSchema = z
  .tuple([filterOperator, z.string().max(200), z.array(filterValue).min(1).max(100)])
  .meta({ example: ["is", "country", ["US", "GB"]] });

const pageSize = z.number().int().min(1).max(MAX_LIMIT);
const pageStart = z.number().int().min(0).max(1_000_000_000);

export const statsQuerySchema = z
  .object({
    site: label(253).optional().meta({ description: "the site (or `site_id`)" }),
    site_id: label(253).optional(),
    date_range: z
      .union([z.enum(DATE_RANGES), z.tuple([utcDay, utcDay])])
      .optional()
      .meta({ description: "default `30d`; or two UTC days, both included", example: "7d" }),
    period: z
      .enum(DATE_RANGES)
      .optional()
      .meta({ description: "Plausible v1's name of `date_range`" }),
    from: utcDay.optional(),
    to: utcDay.optional(),
    date: utcDay.optional().meta({ description: "anchors `day` and `month`; default today" }),
    metrics: z
      .array(z.string().max(100))
      .min(1)
      .max(METRICS.length)
      .meta({ description: `any of ${METRICS.join(", ")}` }),
    dimensions: z
      .array(z.string().max(200))
      .max(MAX_DIMENSIONS)
      .optional()
      .meta({
        description: `at most ${MAX_DIMENSIONS} of ${[...VISIT_DIMENSIONS, ...EVENT_DIMENSIONS, ...TIME_DIMENSIONS].join(", ")}, prop:<name>`,
      }),
    filters: z.array(filterSchema).max(20).optional(),
    order_by: z
      .array(z.tuple([z.string().max(200), z.enum(["asc", "desc"])]))
      .max(5)
      .optional(),
    limit: pageSize.optional().meta({ description: "default 100" }),
    offset: pageStart.optional(),
    pagination: z.object({ limit: pageSize.optional(), offset: pageStart.optional() }).optional(),
    compare: z.enum(["previous_period"]).nullable().optional(),
    include: z
      .object({
        comparisons: z
          .object({ mode: z.enum(["previous_period"]) })
          .nullable()
          .optional(),
      })
      .passthrough()
      .optional()
      .meta({ description: "Plausible v2's `include.comparisons.mode`, the same as `compare`" }),
  })
  .superRefine((query, ctx) => {
    if (query.site === undefined && query.site_id === undefined)
      ctx.addIssue({ code: "custom", message: "site is required", path: ["site"] });
    query.metrics.forEach((metric, index) => {
      if (!(METRICS as readonly string[]).includes(metric))
        ctx.addIssue({
          code: "custom",
          message: `unknown metric "${metric}" (known: ${METRICS.join(", ")})`,
          path: ["metrics", index],
        });
    });
    query.dimensions?.forEach((dimension, index) => {
      if (!isDimension(canonicalDimension(dimension)))
        ctx.addIssue({
          code: "custom",
          message: `unknown dimension "${dimension}"`,
          path: ["dimensions", index],
        });
    });
    query.filters?.forEach(([, dimension], index) => {
      if (!isDimension(canonicalDimension(dimension)) || dimension.startsWith("time:"))
        ctx.addIssue({
          code: "custom",
          message: `unknown filter dimension "${dimension}"`,
          path: ["filters", index, 1],
        });
    });
    if ((query.from === undefined) !== (query.to === undefined))
      ctx.addIssue({ code: "custom", message: "give both from and to", path: ["from"] });
  })
  .meta({
    example: {
      site: "example.com",
      date_range: "7d",
      metrics: ["visitors", "pageviews", "bounce_rate"],
      dimensions: ["source"],
      filters: [["is", "country", ["US", "GB"]]],
      order_by: [["visitors", "desc"]],
      limit: 10,
      compare: "previous_period",
    },
  });

export type StatsQueryInput = z.output<typeof statsQuerySchema>;

const figure = z.number().nullable();

export const statsQueryResponseSchema = z
  .object({
    success: z.literal(true),
    results: z.array(
      z.object({
        dimensions: z.array(z.string()),
        metrics: z.array(figure),
        comparison: z.object({ metrics: z.array(figure), change: z.array(figure) }).optional(),
      }),
    ),
    meta: z.object({
      total_rows: z.number().int(),
      time_labels: z.array(z.string()).optional(),
      warnings: z.array(z.string()).optional(),
    }),
    query: z.object({
      site: z.string(),
      metrics: z.array(z.string()),
      dimensions: z.array(z.string()),
      filters: z.array(z.tuple([z.string(), z.string(), z.array(z.string())])),
      date_range: z.tuple([z.string(), z.string()]),
      comparison_date_range: z.tuple([z.string(), z.string()]).optional(),
    }),
  })
  .meta({
    example: {
      success: true,
      results: [
        {
          dimensions: ["Google"],
          metrics: [120, 180, 45],
          comparison: { metrics: [100, 150, 50], change: [20, 20, -5] },
        },
      ],
      meta: { total_rows: 14 },
      query: {
        site: "example.com",
        metrics: ["visitors", "pageviews", "bounce_rate"],
        dimensions: ["source"],
        filters: [["is", "country", ["US", "GB"]]],
        date_range: ["2026-11-24T00:00:00.000Z", "2026-11-30T23:59:59.999Z"],
        comparison_date_range: ["2026-11-17T00:00:00.000Z", "2026-11-23T23:59:59.999Z"],
      },
    },
  });

export const sitesResponseSchema = z
  .object({
    success: z.literal(true),
    sites: z.array(
      z.object({
        site: z.string(),
        visitors_today: z.number().int(),
        pageviews_today: z.number().int(),
        last_seen: z.string().nullable(),
      }),
    ),
  })
  .meta({
    example: {
      success: true,
      sites: [
        {
          site: "example.com",
          visitors_today: 42,
          pageviews_today: 97,
          last_seen: "2026-11-30T14:03:11.000Z",
        },
      ],
    },
  });

const goalSchema = z
  .object({
    id: z.number().int(),
    site: z.string(),
    page_path: z.string(),
    display_name: z.string(),
  })
  .meta({
    example: {
      id: 3,
      site: "example.com",
      page_path: "/thank-you*",
      display_name: "Visit /thank-you*",
    },
  });

export const goalsQuerySchema = z.object({ site: label(253).optional() });
export const goalInputSchema = z
  .object({
    site: label(253),
    page_path: label(2048)
      .refine((path) => path.startsWith("/"), { message: "a path starts with /" })
      .meta({ description: "a page path; `*` matches any characters" }),
  })
  .meta({ example: { site: "example.com", page_path: "/thank-you*" } });
export const goalIdSchema = z.object({
  id: z.coerce.number().int().min(1).meta({ example: 3 }),
});
export const goalsResponseSchema = z.object({
  success: z.literal(true),
  goals: z.array(goalSchema),
});
export const goalResponseSchema = z.object({ success: z.literal(true), goal: goalSchema });
export const goalDeletedSchema = z.object({ success: z.literal(true), deleted: z.number().int() });
export type Goal = z.infer<typeof goalSchema>;
