import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../interfaces/app-env.ts";
import { ApiError } from "../schemas/errors.ts";
import { tokensMatch } from "../services/api-token.ts";

/** Reads the token from `Authorization: Bearer` or `?token=` (browsers cannot set WebSocket headers). */
export function presentedToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
  const queryToken = new URL(request.url).searchParams.get("token");
  return queryToken ?? undefined;
}

export function isAuthorized(request: Request, expected: string): boolean {
  const token = presentedToken(request);
  return token !== undefined && tokensMatch(token, expected);
}

export const unauthorized = () =>
  new ApiError(
    401,
    "unauthorized",
    "This route reveals visitor data: send the API token as 'Authorization: Bearer <token>' or '?token=<token>'",
  );

export const requireToken = createMiddleware<AppEnv>(async (c, next) => {
  if (!isAuthorized(c.req.raw, c.var.services.apiToken)) {
    c.header("WWW-Authenticate", 'Bearer realm="footfall"');
    throw unauthorized();
  }
  await next();
});
