import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";

const ACCEPTED_TYPES = new Set(["application/json", "text/plain"]);

/**
 * JSON bodies sent as `application/json`, or as `text/plain` (what `navigator.sendBeacon` sends
 * without a CORS preflight). Anything else is 415.
 */
export const jsonOrTextBody = createMiddleware<AppEnv>(async (c, next) => {
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
  await next();
});

export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
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
export async function readBodyText(c: Context<AppEnv>): Promise<string> {
  const timeoutMs = c.var.services.config.limits.requestBodyTimeoutMs;
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
export async function parseJsonBody(
  c: Context<AppEnv>,
): Promise<{ value: unknown; bytes: number }> {
  const text = await readBodyText(c);
  try {
    return { value: JSON.parse(text), bytes: Buffer.byteLength(text) };
  } catch {
    throw new ApiError(400, "validation_error", "The body is not valid JSON");
  }
}
