import { HTTPException } from "hono/http-exception";
import { z } from "zod";

/**
 * Every error code with its one HTTP status, the `error` title the earlier clients read (they
 * expect a string and match words in it) and what it means, for the API document. The first
 * code of a status is the one a bare HTTPException of that status becomes.
 */
export const ERRORS = {
  validation_error: { status: 400, title: "Invalid request", about: "the request is malformed" },
  unauthorized: { status: 401, title: "Unauthorized", about: "the API token is missing or wrong" },
  forbidden_origin: {
    status: 403,
    title: "Forbidden origin",
    about: "CORS_ORIGINS is a list and the Origin header is not on it",
  },
  invalid_country_code: {
    status: 403,
    title: "Invalid country code format. Must be exactly 2 letters",
    about: "countryCode is not two letters",
  },
  not_found: { status: 404, title: "Not Found", about: "nothing here" },
  method_not_allowed: {
    status: 405,
    title: "Method Not Allowed",
    about: "the path is served under other methods (listed in Allow)",
  },
  request_timeout: {
    status: 408,
    title: "Request Timeout",
    about: "the body did not arrive within REQUEST_BODY_TIMEOUT_SECONDS",
  },
  payload_too_large: { status: 413, title: "Payload Too Large", about: "over a size limit" },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported Media Type",
    about: "not JSON or text, or a Content-Encoding other than identity",
  },
  missing_country_code: {
    status: 422,
    title: "Country code is required",
    about: "countryCode is missing",
  },
  upgrade_required: {
    status: 426,
    title: "Upgrade Required",
    about: "not a WebSocket handshake",
  },
  rate_limited: {
    status: 429,
    title: "Too many requests. Please try again later.",
    about: "over RATE_LIMIT_PER_MINUTE (with Retry-After and RateLimit-* headers)",
  },
  internal_error: { status: 500, title: "Internal server error", about: "a bug" },
  shutting_down: { status: 503, title: "Shutting down", about: "the server is shutting down" },
  storage_unavailable: {
    status: 503,
    title: "Storage unavailable",
    about: "the database cannot write right now",
  },
  too_many_connections: {
    status: 503,
    title: "Too many connections",
    about: "MAX_DASHBOARDS are connected",
  },
} as const satisfies Record<string, { status: number; title: string; about: string }>;

export type ErrorCode = keyof typeof ERRORS;
export const errorCodeSchema = z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]);

/** The status of a code (`ErrorStatus<"not_found">` is 404). */
export type ErrorStatus<Code extends ErrorCode = ErrorCode> = (typeof ERRORS)[Code]["status"];

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

export type ErrorBody = z.infer<typeof errorBodySchema>;

export interface ApiErrorOptions {
  details?: unknown;
  /** Every issue found, when `details` lists only the first MAX_LISTED_ISSUES. */
  totalIssues?: number;
  /** The `error` title, when a more specific one than the code's fits. */
  title?: string;
  /** On a 404 for an unknown route: the routes there are. */
  availableEndpoints?: readonly string[];
}

/**
 * The one error type: a status (the code's own, checked by the compiler), a stable machine code,
 * a short title, a human message, optional details. Its body is errorBodySchema.
 */
export class ApiError<Code extends ErrorCode = ErrorCode> extends HTTPException {
  readonly details?: unknown;
  readonly totalIssues?: number;
  readonly title: string;
  readonly availableEndpoints?: readonly string[];

  constructor(
    status: ErrorStatus<Code>,
    readonly code: Code,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(status, { message });
    this.details = options.details;
    this.totalIssues = options.totalIssues;
    this.title = options.title ?? ERRORS[code].title;
    this.availableEndpoints = options.availableEndpoints;
  }

  body(): ErrorBody {
    const body: ErrorBody = {
      success: false,
      error: this.title,
      code: this.code,
      message: this.message,
    };
    if (this.details !== undefined) body.details = this.details;
    if (this.totalIssues !== undefined) body.total_issues = this.totalIssues;
    if (this.availableEndpoints !== undefined) {
      body.available_endpoints = [...this.availableEndpoints];
    }
    return body;
  }
}

/** The code a bare HTTPException of this status stands for (validation_error when none fits). */
export function codeForStatus(status: number): ErrorCode {
  const code = (Object.keys(ERRORS) as ErrorCode[]).find((name) => ERRORS[name].status === status);
  return code ?? "validation_error";
}

export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  /** The event's place in a batch. */
  index?: number;
}

/** A refused batch of bad events could otherwise answer several times its own size. */
export const MAX_LISTED_ISSUES = 20;
/** Path segments are keys the client chose: a 1 MB key is not repeated back in full. */
const MAX_PATH_SEGMENT = 80;

export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => {
      const name = String(segment);
      return name.length > MAX_PATH_SEGMENT ? `${name.slice(0, MAX_PATH_SEGMENT)}…` : name;
    })
    .join(".");
}

/**
 * 400 validation_error listing the first issues, with the total when some were left out. `title`
 * is the `error` string (the earlier clients look for "Invalid event data").
 */
export function validationError(
  issues: readonly IssueLike[],
  message = "Invalid request",
  title?: string,
): ApiError {
  const listed = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map(({ index, path, message: issueMessage }) =>
      index === undefined
        ? { path: issuePath(path), message: issueMessage }
        : { index, path: issuePath(path), message: issueMessage },
    );
  const more = issues.length - listed.length;
  if (more <= 0) return new ApiError(400, "validation_error", message, { details: listed, title });
  return new ApiError(
    400,
    "validation_error",
    `${message} (${issues.length} issues; the first ${listed.length} listed, and ${more} more)`,
    { details: listed, totalIssues: issues.length, title },
  );
}
