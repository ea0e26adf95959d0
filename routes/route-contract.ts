import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";
import type { ZodType, z } from "zod";
import type { AppEnv } from "../interfaces/app-env.ts";
import { requireToken } from "../middlewares/auth.ts";
import { validationHook } from "../middlewares/validate.ts";
import { ERRORS, type ErrorCode, type ErrorStatus, errorBodySchema } from "../schemas/errors.ts";
import { RememberingRouter } from "./remembering-router.ts";

/** A router whose routes declare their schemas; failed validations become our error body. */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new RememberingRouter() });
}

/** A JSON answer of `schema`. */
export function jsonResponse<Schema extends ZodType>(schema: Schema, description: string) {
  return { description, content: { "application/json": { schema } } };
}

type ErrorResponses<Code extends ErrorCode> = {
  [Status in ErrorStatus<Code>]: ReturnType<typeof jsonResponse<typeof errorBodySchema>>;
};

/** The error answers a route may give, by status, each described by its codes. */
export function errorResponses<const Code extends ErrorCode>(
  ...codes: Code[]
): ErrorResponses<Code> {
  const responses: Record<number, ReturnType<typeof jsonResponse<typeof errorBodySchema>>> = {};
  for (const code of codes) {
    const { status, about } = ERRORS[code];
    const line = `\`${code}\`: ${about}`;
    const earlier = responses[status]?.description;
    responses[status] = jsonResponse(errorBodySchema, earlier ? `${earlier}; ${line}` : line);
  }
  return responses as ErrorResponses<Code>;
}

const TOKEN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { tokenQuery: [] }];
const PUBLIC_SECURITY: Record<string, string[]>[] = [];
const noCheck = createMiddleware<AppEnv>(async (_c, next) => next());

/**
 * A route's security, declared once: what the document says and the check that enforces it.
 * `required` false: public.
 */
export function tokenAuth(required = true) {
  return required
    ? { security: TOKEN_SECURITY, middleware: requireToken }
    : { security: PUBLIC_SECURITY, middleware: noCheck };
}

/** Public: no token. */
export const publicAccess = { security: PUBLIC_SECURITY };

/**
 * An answer already serialised as `Schema`'s JSON (kept between requests, or assembled around
 * such a part, because stringifying it per request was the hot path's largest cost), typed as
 * `c.json` would type it. The tests parse these answers with the same schema.
 */
export function serialisedJson<Schema extends ZodType, Status extends ContentfulStatusCode>(
  c: Context,
  _schema: Schema,
  body: string | ReadableStream<Uint8Array>,
  status: Status,
  headers?: Readonly<Record<string, string>>,
): TypedResponse<JSONParsed<z.output<Schema>>, Status, "json"> {
  const response = c.body(body, status, { "Content-Type": "application/json", ...headers });
  // The text is the schema's JSON by construction: the type says so, the tests check it.
  return response as unknown as TypedResponse<JSONParsed<z.output<Schema>>, Status, "json">;
}
