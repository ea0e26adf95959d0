import { z } from "zod";
import { label } from "./common.ts";

export const EVENT_TYPES = ["pageview", "click", "session_end", "custom"] as const;
export const MAX_EXTRA_METADATA = 30;

const scalar = z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]);

export const metadataSchema = z
  .object({
    device: label(64).optional(),
    referrer: z.string().max(2048).optional(),
  })
  .catchall(scalar)
  .refine(
    (metadata) =>
      Object.keys(metadata).filter((key) => key !== "device" && key !== "referrer").length <=
      MAX_EXTRA_METADATA,
    { message: `at most ${MAX_EXTRA_METADATA} properties besides device and referrer` },
  );

/** One visitor event as a website sends it (the seed's contract plus optional extras). */
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
    title: z.string().max(512).optional(),
    metadata: metadataSchema.optional(),
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
