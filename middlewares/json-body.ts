import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ZodType, z } from "zod";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError, validationError } from "../schemas/errors.ts";
import { BodyDeadlines } from "./body-deadline.ts";

const ACCEPTED_TYPES = new Set(["application/json", "text/plain"]);
const utf8 = new TextDecoder();

/**
 * A JSON body sent as `application/json`, or as `text/plain` (what `navigator.sendBeacon` sends
 * without a CORS preflight), at most `maxBytes`, read within REQUEST_BODY_TIMEOUT_SECONDS, and
 * handed to `validate` (with its size in bytes), whose result the handler reads as `c.var.body`.
 * 415 for another type or any Content-Encoding, 413 past the limit (from Content-Length before
 * reading, or while reading a chunked body), 408 when it is too slow, 400 when it is not JSON;
 * `validate` throws its own refusals.
 */
export function jsonOrTextBody<Body>(
  maxBytes: number,
  validate: (value: unknown, bytes: number) => Body,
) {
  let deadlines: BodyDeadlines | undefined;
  return createMiddleware<AppEnv & { Variables: { body: Body } }>(async (c, next) => {
    const headers = c.req.raw.headers;
    refuseOtherMediaTypes(headers);
    deadlines ??= new BodyDeadlines(c.get("services").config.limits.requestBodyTimeoutMs);
    const { text, bytes } = await readBodyText(c, headers, maxBytes, deadlines);
    c.set("body", validate(parseJson(text), bytes));
    await next();
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

function refuseOtherMediaTypes(headers: Headers): void {
  // Compressed bodies are not decoded (a gzip bomb would slip past every byte limit): say so.
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the body uncompressed: Content-Encoding is not supported",
      { details: { content_encoding: encoding } },
    );
  }
  const type = mediaType(headers.get("content-type") ?? "");
  if (!ACCEPTED_TYPES.has(type)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send the body as application/json or text/plain",
      { details: { received: type || null } },
    );
  }
}

/** The media type without its parameters, in lower case ("text/plain;charset=UTF-8" -> "text/plain"). */
function mediaType(contentType: string): string {
  if (ACCEPTED_TYPES.has(contentType)) return contentType;
  return contentType.split(";")[0]?.trim().toLowerCase() ?? "";
}

function payloadTooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `The body is over ${maxBytes} bytes`, {
    details: { max_bytes: maxBytes },
  });
}

/**
 * The body as text and its size, if it arrives within REQUEST_BODY_TIMEOUT_SECONDS: a client that
 * trickles it (or stops) is answered 408 and its connection closed, rather than holding it until
 * Bun's idle timeout cuts it with no answer. A body whose Content-Length is over `maxBytes` is
 * refused before it is read; a chunked one (no length known) as soon as it passes `maxBytes`.
 */
async function readBodyText<E extends AppEnv>(
  c: Context<E>,
  headers: Headers,
  maxBytes: number,
  deadlines: BodyDeadlines,
): Promise<{ text: string; bytes: number }> {
  const declared = headers.get("content-length");
  const chunked = declared === null || headers.has("transfer-encoding");
  if (!chunked) {
    const bytes = Number.parseInt(declared, 10) || 0;
    if (bytes > maxBytes) throw payloadTooLarge(maxBytes);
    return { text: await deadlines.within(c.req.text(), () => timedOut(c)), bytes };
  }
  const stream = c.req.raw.body;
  if (stream === null) return { text: "", bytes: 0 };
  const text = await deadlines.within(readWithin(stream, maxBytes), () => timedOut(c));
  return { text, bytes: Buffer.byteLength(text) };
}

/** A body of unknown length, read chunk by chunk and refused once it passes `maxBytes`. */
async function readWithin(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  // As Request.text() decodes: UTF-8, a byte order mark dropped, bad bytes replaced.
  return utf8.decode(Buffer.concat(chunks, size));
}

function timedOut<E extends AppEnv>(c: Context<E>): ApiError {
  c.header("Connection", "close");
  const seconds = c.get("services").config.limits.requestBodyTimeoutMs / 1000;
  return new ApiError(
    408,
    "request_timeout",
    `The request body did not arrive within ${seconds} s`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "validation_error", "The body is not valid JSON");
  }
}
