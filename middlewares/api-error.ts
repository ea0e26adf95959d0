import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "validation_error"
  | "unauthorized"
  | "not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "internal_error"
  | "shutting_down"
  | "storage_unavailable"
  | "too_many_connections"
  | "upgrade_required";

export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** The one error type: a status, a stable machine code, a human message, optional details. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(status, { message });
  }

  body(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { success: false, error };
  }
}

export interface IssueLike {
  path: PropertyKey[];
  message: string;
}

export function validationError(
  issues: readonly IssueLike[],
  message = "Invalid request",
): ApiError {
  return new ApiError(
    400,
    "validation_error",
    message,
    issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
  );
}
