import { z } from "zod";
import { label } from "./common.ts";

/** Hit-counter seed: `website` is accepted for `websiteId`. */
export const visitInputSchema = z
  .object({
    customerId: z.coerce.string().pipe(label(256)),
    deviceId: z.coerce.string().pipe(label(256)),
    websiteId: z.coerce.string().pipe(label(253)).optional(),
    website: z.coerce.string().pipe(label(253)).optional(),
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
