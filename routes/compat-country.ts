import { createHash, randomBytes } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { clientIpOf } from "../middlewares/client-ip.ts";
import { countryCodeQuerySchema, countryCountsSchema, messageSchema } from "../schemas/compat.ts";
import { ApiError } from "../schemas/errors.ts";
import type { Services } from "../services/container.ts";
import {
  errorResponses,
  jsonResponse,
  newRouter,
  publicAccess,
  tokenAuth,
} from "./route-contract.ts";

/** Changes each start, so a visitor's session id cannot be turned back into an IP address. */
const SESSION_SALT = randomBytes(16).toString("hex");
const tags = ["Compatibility"];

/**
 * The country tracker's API (`/api/v1`), as its earlier clients call it. A visit is an ordinary
 * pageview with a country. Its refusals keep the statuses those clients check (422 for a missing
 * code, 403 for a malformed one); Footfall's own routes answer 400 for both kinds.
 */
export function countryTrackerRoutes(config: Services["config"]) {
  return newRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/ping",
        summary: "Country tracker (compatibility): ping",
        tags,
        ...publicAccess,
        responses: { 200: jsonResponse(messageSchema, "pong") },
      }),
      (c) => c.json({ message: "pong" }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/healthcheck",
        summary: "Country tracker (compatibility): health check",
        tags,
        ...publicAccess,
        responses: {
          200: { description: "OK", content: { "text/plain": { schema: z.literal("OK") } } },
        },
      }),
      (c) => c.text("OK", 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/stats",
        summary: "Country tracker (compatibility): count a visit from a country",
        description:
          "422 `missing_country_code` without `countryCode`, 403 `invalid_country_code` when it is not two letters (besides 403 `forbidden_origin`), as the earlier clients expect.",
        tags,
        ...publicAccess,
        request: { query: countryCodeQuerySchema },
        responses: {
          201: jsonResponse(countryCountsSchema, "The new count, under the lower-case code"),
          ...errorResponses(
            "missing_country_code",
            "invalid_country_code",
            "forbidden_origin",
            "rate_limited",
            "shutting_down",
            "storage_unavailable",
          ),
        },
      }),
      async (c) => {
        const code = c.req.valid("query").countryCode.toUpperCase();
        const { ingestion, compat } = c.var.services;
        await ingestion.accept([
          {
            type: "pageview",
            page: "/",
            country: code,
            session_id: `v1:${createHash("sha256")
              .update(SESSION_SALT + clientIpOf(c) + (c.req.header("user-agent") ?? ""))
              .digest("hex")
              .slice(0, 24)}`,
          },
        ]);
        return c.json({ [code.toLowerCase()]: compat.countryCount(code) }, 201);
      },
      // The refusals those clients know: 422 when there is no code, 403 when it is not two letters.
      (result, c) => {
        if (result.success) return undefined;
        const raw = c.req.query("countryCode");
        if (raw === undefined || raw === "") {
          throw new ApiError(422, "missing_country_code", "Send the country as ?countryCode=XX");
        }
        throw new ApiError(
          403,
          "invalid_country_code",
          "countryCode must be a two-letter ISO 3166-1 country code",
          {
            details: [
              { path: "countryCode", message: "expected a two-letter ISO 3166-1 country code" },
            ],
          },
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/stats",
        summary: "Country tracker (compatibility): visits by country",
        tags,
        ...tokenAuth(!config.compatPublicReads),
        responses: {
          200: jsonResponse(countryCountsSchema, "Counts by lower-case country code"),
          ...errorResponses("unauthorized"),
        },
      }),
      (c) => c.json(c.var.services.compat.countryVisits(), 200),
    );
}
