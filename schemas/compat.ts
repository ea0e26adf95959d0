import { z } from "zod";
import { label } from "./common.ts";

/**
 * An id as the hit counter's clients send it: a string, or a number taken as its decimal string.
 * Anything else (null, objects, booleans) is refused rather than coerced into "null" or
 * "[object Object]", which would silently merge unrelated visitors.
 */
const visitId = (max: number) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((id) => String(id))
    .pipe(label(max));

/** A hit counter's visit; `website` is accepted for `websiteId`, as its earlier clients send it. */
export const visitInputSchema = z
  .object({
    customerId: visitId(256),
    deviceId: visitId(256),
    websiteId: visitId(253).optional(),
    website: visitId(253).optional(),
  })
  .refine((visit) => visit.websiteId !== undefined || visit.website !== undefined, {
    message: "websiteId is required",
    path: ["websiteId"],
  })
  .meta({ id: "VisitInput" });

export const customerVisitQuerySchema = z.object({
  customerId: label(256),
  websiteId: label(253),
});

export const overallVisitQuerySchema = z.object({ websiteId: label(253) });

export const countryCodeQuerySchema = z.object({
  countryCode: z
    .string()
    .regex(/^[A-Za-z]{2}$/, { message: "expected a two-letter ISO 3166-1 country code" }),
});

/** The answers of the compatibility routes. */
export const customerVisitCountSchema = z.object({
  count: z.number().int(),
  devices: z.number().int(),
});
export const overallVisitCountSchema = z.object({
  count: z.number().int(),
  unique_customers: z.number().int(),
});
export const countryCountsSchema = z.record(z.string(), z.number().int());
export const messageSchema = z.object({ message: z.string() });
