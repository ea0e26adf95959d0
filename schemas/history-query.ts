import { z } from "zod";
import { label } from "./common.ts";

/** An instant: an ISO 8601 date-time with offset, or a date (its UTC midnight). */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value));

const filters = {
  site: label(253).optional(),
  country: label(64).optional(),
  page: label(2048).optional(),
};

export const MAX_TIMESERIES_POINTS = 10_000;
export const MAX_TOP_DAYS = 3660;

export const timeseriesQuerySchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  interval: z.enum(["minute", "hour", "day"]).default("hour"),
  ...filters,
});

export const topQuerySchema = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  dimension: z.enum(["page", "country", "device", "referrer"]).default("page"),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  site: filters.site,
});

export const exportQuerySchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  site: filters.site,
});
