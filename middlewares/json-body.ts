import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { ZodType, z } from "zod";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError, validationError } from "../schemas/errors.ts";

const ACCEPTED_TYPES = new Set(["application/json", "text/plain"]);

/**
 * A JSON body sent as `application/json`, or as `text/plain` (what `navigator.sendBeacon` sends
 * without a CORS preflight), at most `maxBytes`, read within REQUEST_BODY_TIMEOUT_SECONDS, and
 * handed to `validate` (with its size in bytes), whose result the handler reads as `c.var.body`.
 * 415 for another type or any Content-Encoding, 413 past the limit, 408 when it is too slow, 400
 * when it is not JSON; `validate` throws its own refusals.
 */
export function jsonOrTextBody<Body>(
  maxBytes: number,
  validate: (value: unknown, bytes: number) => Body,
) {
  const limit = limitBody(maxBytes);
  return createMiddleware<AppEnv & { Variables: { body: Body } }>(async (c, next) => {
    refuseOtherMediaTypes(c);
    await limit(c, async () => {
      const { value, bytes } = await parseJsonBody(c);
      c.set("body", validate(value, bytes));
      await next();
    });
  });
}

/** A validate function for jsonOrTextBody: the schema's output, or 400 listing the issues. */
export function bySchema<Schema extends ZodType>(schema: Schema, message: string, title: string) {
  return (value: unknown): z.output<Schema> => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw validationError(parsed.error.issues, message, title);
    return parsed.data;
  };
}

function refuseOtherMediaTypes<E extends AppEnv>(c: Context<E>): void {
  // Compressed bodies are not decoded (a gzip bomb would slip past every byte limit): say so.
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the body uncompressed: Content-Encoding is not supported",
      { details: { content_encoding: encoding } },
    );
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ACCEPTED_TYPES.has(type)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the body as application/json or text/plain",
      { details: { received: type || null } },
    );
  }
}

function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `The body is over ${maxBytes} bytes`, {
        details: { max_bytes: maxBytes },
      });
    },
  });
}

/**
 * The body as text, if it arrives within REQUEST_BODY_TIMEOUT_SECONDS: a client that trickles it
 * (or stops) is answered 408 and its connection closed, rather than holding it until Bun's idle
 * timeout cuts it with no answer.
 */
async function readBodyText<E extends AppEnv>(c: Context<E>): Promise<string> {
  const timeoutMs = c.get("services").config.limits.requestBodyTimeoutMs;
  let timer: Timer | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      c.header("Connection", "close");
      reject(
        new ApiError(
          408,
          "request_timeout",
          `The request body did not arrive within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([c.req.text(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads and parses the body; returns its size in bytes beside the value. */
async function parseJsonBody<E extends AppEnv>(
  c: Context<E>,
): Promise<{ value: unknown; bytes: number }> {
  const text = await readBodyText(c);
  try {
    return { value: JSON.parse(text), bytes: Buffer.byteLength(text) };
  } catch {
    throw new ApiError(400, "validation_error", "The body is not valid JSON");
  }
}
