import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../interfaces/app-env.ts";
import { StorageUnavailableError } from "../services/storage/event-log.ts";
import { ApiError } from "./api-error.ts";

/** The one place an error becomes a response. */
export const handleError: ErrorHandler<AppEnv> = (err, c) => {
  const apiError = toApiError(err, c);
  return c.json(apiError.body(), apiError.status);
};

export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`).body(), 404);

function toApiError(err: Error, c: Context<AppEnv>): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StorageUnavailableError) {
    c.var.services.logger.error({ err: err.message }, "storage unavailable");
    return new ApiError(
      503,
      "storage_unavailable",
      "The event was not stored: the database cannot write right now. Retry shortly.",
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    return new ApiError(err.status, codeForStatus(err.status), err.message || "Request refused");
  }
  const { logger, config } = c.var.services;
  logger.error({ err, method: c.req.method, path: c.req.path }, "unhandled error");
  const development = config.nodeEnv === "development";
  return new ApiError(
    500,
    "internal_error",
    development ? err.message : "Internal server error",
    development ? { stack: err.stack } : undefined,
  );
}

function codeForStatus(status: number): ApiError["code"] {
  switch (status) {
    case 401:
      return "unauthorized";
    case 404:
      return "not_found";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    default:
      return "validation_error";
  }
}
