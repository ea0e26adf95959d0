import type { ZodType } from "zod";
import { jsonOrTextBody } from "../middlewares/json-body.ts";
import { errorResponses, publicAccess } from "./route-contract.ts";

/**
 * The request side of a public route that takes events in its body, as `application/json` or as
 * `text/plain` (what `navigator.sendBeacon` sends): no token, and the body read and validated by
 * jsonOrTextBody. The router must not apply a schema of its own (it does so for JSON media types
 * only, and `validate` words the refusals), so `application/json` is described by `jsonSchema`,
 * a reference, and `text/plain` by `textSchema` itself (which puts it in the components).
 */
export function publicIngestion<Body, Reference extends object>(options: {
  maxBytes: number;
  validate: (value: unknown, bytes: number) => Body;
  jsonSchema: Reference;
  textSchema: ZodType;
}) {
  return {
    ...publicAccess,
    middleware: jsonOrTextBody(options.maxBytes, options.validate),
    request: {
      body: {
        required: true,
        content: {
          "application/json": { schema: options.jsonSchema },
          "text/plain": { schema: options.textSchema },
        },
      },
    },
  };
}

/** The refusals a public ingestion route may answer, besides its own success. */
export function ingestionErrors() {
  return errorResponses(
    "validation_error",
    "forbidden_origin",
    "request_timeout",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "shutting_down",
    "storage_unavailable",
  );
}
