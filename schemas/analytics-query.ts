import { z } from "zod";
import { label } from "./common.ts";

export const dimensionFilterSchema = z.object({
  country: label(64).optional(),
  page: label(2048).optional(),
  site: label(253).optional(),
});

export const summaryQuerySchema = dimensionFilterSchema;

export const sessionsQuerySchema = dimensionFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export type DimensionFilter = z.infer<typeof dimensionFilterSchema>;
