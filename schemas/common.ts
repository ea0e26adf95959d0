import { z } from "zod";

/** Every error code, each with its one HTTP status (middlewares/api-error.ts). */
export const ERROR_CODES = [
  "validation_error",
  "missing_country_code",
  "invalid_country_code",
  "unauthorized",
  "forbidden_origin",
  "not_found",
  "method_not_allowed",
  "request_timeout",
  "payload_too_large",
  "unsupported_media_type",
  "upgrade_required",
  "rate_limited",
  "internal_error",
  "shutting_down",
  "storage_unavailable",
  "too_many_connections",
] as const;

export const errorCodeSchema = z.enum(ERROR_CODES);

export type ErrorCode = z.infer<typeof errorCodeSchema>;

/**
 * The `error` string of each code: a short title the earlier systems' clients read (they expect
 * `error` to be a string, and match words in it). A refusal may carry a more specific one.
 */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  validation_error: "Invalid request",
  missing_country_code: "Country code is required",
  invalid_country_code: "Invalid country code format. Must be exactly 2 letters",
  unauthorized: "Unauthorized",
  forbidden_origin: "Forbidden origin",
  not_found: "Not Found",
  method_not_allowed: "Method Not Allowed",
  request_timeout: "Request Timeout",
  payload_too_large: "Payload Too Large",
  unsupported_media_type: "Unsupported Media Type",
  upgrade_required: "Upgrade Required",
  rate_limited: "Too many requests. Please try again later.",
  internal_error: "Internal server error",
  shutting_down: "Shutting down",
  storage_unavailable: "Storage unavailable",
  too_many_connections: "Too many connections",
};

/**
 * Lone surrogates (`"\ud800"` in JSON) become U+FFFD here, before anything counts them: SQLite
 * stores text as UTF-8, which cannot hold them, so keeping them live would let a restart merge
 * what the live state kept apart.
 */
const wellFormed = (value: string) => value.toWellFormed();

const CONTROL = /^\P{Cc}*$/u;
/** Zero-width and bidirectional controls (U+200B, U+202E, ...): they forge look-alike labels. */
const FORMAT = /^\P{Cf}*$/u;

/**
 * A trimmed, printable label (counter keys, identifiers): control and invisible format
 * characters are refused, so they cannot forge keys that look like others.
 */
export const label = (max: number) =>
  z
    .string()
    .overwrite(wellFormed)
    .trim()
    .min(1)
    .max(max)
    .regex(CONTROL, { message: "must not contain control characters" })
    .regex(FORMAT, {
      message: "must not contain invisible format characters (zero-width, bidirectional controls)",
    });

/** A property name: as sent (not trimmed), but never ill-formed, a control or a format character. */
export const key = (max: number) =>
  z
    .string()
    .overwrite(wellFormed)
    .max(max)
    .regex(CONTROL, { message: "must not contain control characters" })
    .regex(FORMAT, {
      message: "must not contain invisible format characters (zero-width, bidirectional controls)",
    });

/** C0 controls but tab, line feed and carriage return, and DEL: NUL and the like carry no text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const C0_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** Free text (titles, referrers, metadata values): kept as sent, less NUL and other C0 controls. */
export const text = (max: number) =>
  z
    .string()
    .overwrite((value) => wellFormed(value).replace(C0_CONTROLS, ""))
    .max(max);

export const errorBodySchema = z
  .object({
    success: z.literal(false),
    error: z
      .string()
      .describe(
        'a short human-readable title ("Invalid event data", "Not Found", "Too many requests. Please try again later.")',
      ),
    code: errorCodeSchema.describe("the stable machine code"),
    message: z.string().describe("what went wrong"),
    details: z.unknown().optional(),
    total_issues: z
      .number()
      .int()
      .optional()
      .describe("every validation issue found, when `details` lists only the first ones"),
    available_endpoints: z
      .array(z.string())
      .optional()
      .describe("on a 404 for an unknown route: every documented route"),
  })
  .meta({ id: "ErrorBody" });
