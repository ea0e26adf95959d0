import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { errorCodeSchema } from "../schemas/common.ts";

export type ErrorCode = z.infer<typeof errorCodeSchema>;

export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; details?: unknown; total_issues?: number };
}

/** The one error type: a status, a stable machine code, a human message, optional details. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Every issue found, when `details` lists only the first MAX_LISTED_ISSUES. */
    readonly totalIssues?: number,
  ) {
    super(status, { message });
  }

  body(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    if (this.totalIssues !== undefined) error.total_issues = this.totalIssues;
    return { success: false, error };
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

/** 400 validation_error listing the first issues, with the total when some were left out. */
export function validationError(
  issues: readonly IssueLike[],
  message = "Invalid request",
): ApiError {
  const listed = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map(({ index, path, message: issueMessage }) =>
      index === undefined
        ? { path: issuePath(path), message: issueMessage }
        : { index, path: issuePath(path), message: issueMessage },
    );
  const more = issues.length - listed.length;
  if (more <= 0) return new ApiError(400, "validation_error", message, listed);
  return new ApiError(
    400,
    "validation_error",
    `${message} (${issues.length} issues; the first ${listed.length} listed, and ${more} more)`,
    listed,
    issues.length,
  );
}
