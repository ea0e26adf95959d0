import { z } from "zod";
import { C0_CONTROL, key, label, PRINTABLE, text } from "./common.ts";

export const EVENT_TYPES = ["pageview", "click", "session_end", "custom"] as const;
export const MAX_EXTRA_METADATA = 30;

const scalar = z.union([text(1024), z.number(), z.boolean(), z.null()]);
export const MAX_METADATA_KEY_LENGTH = 64;
const metadataKey = key(MAX_METADATA_KEY_LENGTH);
const namedMetadata = { device: label(64), referrer: text(2048) } as const;

/** What metadata may hold, for the OpenAPI document (parsing is metadataSchema's own, below). */
const documentedMetadata = z
  .object({ device: namedMetadata.device.optional(), referrer: namedMetadata.referrer.optional() })
  .catchall(scalar);

export type MetadataValue = z.output<typeof scalar>;
export type Metadata = { device?: string; referrer?: string } & Record<string, MetadataValue>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

// Fast paths for the common case (the schemas above decide, and word the message, otherwise).
const isPlainScalar = (value: unknown) =>
  value === null ||
  typeof value === "number" ||
  typeof value === "boolean" ||
  (typeof value === "string" &&
    value.length <= 1024 &&
    value.isWellFormed() &&
    !C0_CONTROL.test(value));

/**
 * Metadata, parsed here rather than by z.object: zod never copies a `__proto__` key (assigning it
 * to a plain object would set the prototype), so `{"__proto__":"x"}` vanished silently while any
 * other key was kept or refused. Every own key is treated alike, into a null-prototype object.
 */
export const metadataSchema = z
  .custom<Record<string, unknown>>(isPlainObject, { message: "expected an object" })
  .transform((input, ctx) => {
    const metadata: Metadata = Object.create(null);
    let extra = 0;
    for (const [rawKey, value] of Object.entries(input)) {
      let name = rawKey;
      const plain = rawKey.length <= MAX_METADATA_KEY_LENGTH && rawKey.isWellFormed();
      if (!(plain && PRINTABLE.test(rawKey))) {
        const parsedKey = metadataKey.safeParse(rawKey);
        if (!parsedKey.success) {
          for (const issue of parsedKey.error.issues) {
            ctx.addIssue({ code: "custom", message: `key ${issue.message}`, path: [rawKey] });
          }
          continue;
        }
        name = parsedKey.data;
      }
      const schema = name === "device" || name === "referrer" ? namedMetadata[name] : scalar;
      if (schema === scalar) {
        extra++;
        if (isPlainScalar(value)) {
          metadata[name] = value as MetadataValue;
          continue;
        }
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: "custom", message: issue.message, path: [rawKey, ...issue.path] });
        }
        continue;
      }
      metadata[name] = parsed.data;
    }
    if (extra > MAX_EXTRA_METADATA) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${MAX_EXTRA_METADATA} properties besides device and referrer`,
      });
    }
    return metadata;
  })
  .meta({
    ...withoutDialect(z.toJSONSchema(documentedMetadata, { io: "input" })),
    propertyNames: { maxLength: MAX_METADATA_KEY_LENGTH },
    description: `at most ${MAX_EXTRA_METADATA} properties besides device and referrer; keys at most ${MAX_METADATA_KEY_LENGTH} characters`,
  });

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return rest;
}

/** The landing page's campaign parameters, as the tracker reads them from its query string. */
export const CAMPAIGN_FIELDS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_content",
  "utm_term",
] as const;
const campaignFields = {
  utm_source: label(256).optional().describe("also the landing URL's `ref` or `source`"),
  utm_medium: label(256).optional(),
  utm_campaign: label(256).optional(),
  utm_content: label(256).optional(),
  utm_term: label(256).optional(),
};

/** One visitor event as a website sends it: the earlier servers' fields, plus optional extras. */
export const eventInputSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    name: label(128).optional().describe("required when type is custom"),
    page: label(2048).describe("a path, or a full URL (reduced to its path, its host kept)"),
    session_id: label(128).optional(),
    sessionId: label(128).optional().describe("alias of session_id"),
    timestamp: z.iso.datetime({ offset: true }).optional().describe("the client's clock"),
    country: label(64).optional(),
    site: label(253).optional(),
    user_id: label(256).optional(),
    title: text(512).optional(),
    metadata: metadataSchema.optional(),
    ...campaignFields,
  })
  .refine((event) => event.session_id !== undefined || event.sessionId !== undefined, {
    message: "session_id is required",
    path: ["session_id"],
  })
  .refine((event) => event.type !== "custom" || event.name !== undefined, {
    message: "a custom event needs a name",
    path: ["name"],
  })
  .meta({ id: "EventInput" });

export const eventBatchSchema = z.array(eventInputSchema).min(1).meta({ id: "EventBatch" });

export type EventInput = z.infer<typeof eventInputSchema>;
