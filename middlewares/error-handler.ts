import { SQL } from "bun";
import { type Context, type ErrorHandler, Hono, type NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError, codeForStatus, type ErrorStatus } from "../schemas/errors.ts";
import { StorageUnavailableError } from "../services/pipeline/event-log.ts";
import { HistoryQueryError } from "../services/storage/history.ts";

/**
 * Options of Hono's secure-headers as every response carries them. routes/app.ts applies the
 * same options to the app; refusals made outside Hono (below) use these. A test compares the two.
 */
export const SECURE_HEADERS_OPTIONS = {
  // The tracker script and beacons are loaded from other sites' pages.
  crossOriginResourcePolicy: "cross-origin",
} as const;

/** The one place an error becomes a response. */
export const handleError: ErrorHandler<AppEnv> = (err, c) => respond(c, toApiError(err, c));

/**
 * No route matched: 405 with `Allow` when the path exists under other methods, else 404 listing
 * `availableEndpoints` (which earlier clients read). `allowedMethods` lists the methods served at a
 * path (see allowedMethodsOf).
 */
export function handleNotFound(
  allowedMethods: (path: string) => readonly string[],
  availableEndpoints: readonly string[],
): NotFoundHandler<AppEnv> {
  return (c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      const allow = allowed.join(", ");
      return respond(
        c,
        new ApiError(
          405,
          "method_not_allowed",
          `${c.req.method} is not served here; allowed: ${allow}`,
          { details: { allowed } },
        ),
        { Allow: allow },
      );
    }
    return respond(
      c,
      new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`, {
        availableEndpoints,
      }),
    );
  };
}

function respond(c: Context, apiError: ApiError, headers?: Record<string, string>): Response {
  return c.json(apiError.body(), apiError.status, headers);
}

interface RefusalEnv {
  Bindings: { refusal: ApiError; headers?: Record<string, string> };
}

const refusals = new Hono<RefusalEnv>()
  .use(secureHeaders(SECURE_HEADERS_OPTIONS))
  .all("*", (c) => respond(c, c.env.refusal, c.env.headers));

/**
 * A refusal made before Hono sees the request (the WebSocket upgrade runs ahead of the app):
 * the same error body and the same security headers as any other response.
 */
export function refusalResponse(
  request: Request,
  refusal: ApiError,
  headers?: Record<string, string>,
): Promise<Response> {
  return Promise.resolve(refusals.fetch(request, { refusal, headers }));
}

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
  if (err instanceof HistoryQueryError) return new ApiError(400, "validation_error", err.message);
  if (postgresUnreachable(err)) {
    c.var.services.logger.warn({ err: err.message, path: c.req.path }, "postgres unreachable");
    return new ApiError(
      503,
      "storage_unavailable",
      "The history cannot be read right now: its database does not answer. Retry shortly.",
    );
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own refusals (a status no code of ours may name, 411 say) keep their status.
    const status = err.status as ErrorStatus;
    return new ApiError(status, codeForStatus(err.status), err.message || "Request refused");
  }
  const { logger, config } = c.var.services;
  logger.error({ err, method: c.req.method, path: c.req.path }, "unhandled error");
  const development = config.nodeEnv === "development";
  return new ApiError(
    500,
    "internal_error",
    development ? err.message : "Internal server error",
    development ? { details: { stack: err.stack } } : {},
  );
}

/**
 * A history read in cluster mode that found Postgres down (refused, closed, timed out, or
 * starting up / shutting down): a 503 the client may retry, not a 500.
 */
function postgresUnreachable(err: Error): boolean {
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) {
    if (!(cause instanceof SQL.PostgresError)) continue;
    if (cause.code.startsWith("ERR_POSTGRES_CONNECTION")) return true;
    // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, start-up).
    if (/^(08|57P)/.test(cause.errno ?? "")) return true;
  }
  return false;
}
