import { z } from "zod";
import { DATE_RANGES } from "./stats-query.ts";

// The query endpoint by GET: the POST body's fields as query parameters (Plausible v1's shapes
// too), turned into that body and validated by the same schema.

const list = (value: string) =>
  value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");

/** `[["visitors","desc"]]` as JSON, or `visitors:desc,page:asc`. */
function orderBy(value: string): unknown {
  if (value.trimStart().startsWith("[")) return parseJson(value);
  return list(value).map((part) => {
    const [name = "", direction = "desc"] = part.split(":");
    return [name, direction];
  });
}

/** v1's operators: `==` is, `!=` is not, `~` contains, `!~` does not contain; `|` between values. */
const V1_FILTER = /^(.+?)(==|!=|!~|~)(.*)$/;
const V1_OPERATOR = { "==": "is", "!=": "is_not", "~": "contains", "!~": "contains_not" } as const;

/** A JSON array of `[operator, dimension, values]`, or v1's `visit:country==US|GB;event:page~blog`. */
function filters(value: string): unknown {
  if (value.trimStart().startsWith("[")) return parseJson(value);
  return value
    .split(";")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const match = V1_FILTER.exec(part.trim());
      if (!match) return part;
      const [, dimension = "", operator, values = ""] = match;
      return [
        V1_OPERATOR[operator as keyof typeof V1_OPERATOR],
        dimension.trim(),
        values.split("|"),
      ];
    });
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const number = (value: string | undefined) =>
  value === undefined || value.trim() === "" || Number.isNaN(Number(value)) ? value : Number(value);

export const statsQueryStringSchema = z
  .object({
    site: z.string().optional(),
    site_id: z.string().optional(),
    date_range: z
      .string()
      .optional()
      .meta({ description: `one of ${DATE_RANGES.join(", ")}, or two UTC days: from,to` }),
    period: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    date: z.string().optional(),
    metrics: z.string().meta({ description: "comma-separated", example: "visitors,pageviews" }),
    dimensions: z.string().optional().meta({ description: "comma-separated", example: "source" }),
    property: z.string().optional().meta({ description: "v1's single breakdown dimension" }),
    filters: z.string().optional().meta({
      description: "a JSON array as in the body, or `visit:country==US|GB;event:page~blog`",
    }),
    order_by: z.string().optional().meta({ example: "visitors:desc" }),
    limit: z.string().optional(),
    offset: z.string().optional(),
    compare: z.string().optional().meta({ example: "previous_period" }),
  })
  .transform((query) => {
    const body: Record<string, unknown> = { metrics: list(query.metrics) };
    for (const key of ["site", "site_id", "period", "from", "to", "date", "compare"] as const)
      if (query[key] !== undefined) body[key] = query[key];
    if (query.date_range !== undefined) {
      const days = list(query.date_range);
      body.date_range = days.length === 2 ? days : query.date_range;
    }
    const dimensions = [
      ...(query.dimensions ? list(query.dimensions) : []),
      ...(query.property ? [query.property] : []),
    ];
    if (dimensions.length > 0) body.dimensions = dimensions;
    if (query.filters !== undefined) body.filters = filters(query.filters);
    if (query.order_by !== undefined) body.order_by = orderBy(query.order_by);
    if (query.limit !== undefined) body.limit = number(query.limit);
    if (query.offset !== undefined) body.offset = number(query.offset);
    return body;
  });
