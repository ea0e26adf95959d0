import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ERROR_TITLES, type ErrorCode, type errorBodySchema } from "../schemas/common.ts";

export type { ErrorCode };
export type ErrorBody = z.infer<typeof errorBodySchema>;

export interface ApiErrorOptions {
  details?: unknown;
  /** Every issue found, when `details` lists only the first MAX_LISTED_ISSUES. */
  totalIssues?: number;
  /** The `error` title, when a more specific one than the code's (ERROR_TITLES) fits. */
  title?: string;
  /** On a 404 for an unknown route: the routes there are. */
  availableEndpoints?: readonly string[];
}

/**
 * The one error type: a status, a stable machine code, a short title, a human message, optional
 * details. Its body is `{success:false, error:<title>, code, message, details?}`.
 */
export class ApiError extends HTTPException {
  readonly details?: unknown;
  readonly totalIssues?: number;
  readonly title: string;
  readonly availableEndpoints?: readonly string[];

  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(status, { message });
    this.details = options.details;
    this.totalIssues = options.totalIssues;
    this.title = options.title ?? ERROR_TITLES[code];
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
 * is the `error` string (the seed's clients look for "Invalid event data").
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
